// Runs the Arazzo checkout (openapi/orders.arazzo.yaml) with run id
// `arazzo-crash-1`; the test kills this process while a step's call is on
// the server, to see another worker finish the run.
import { ArazzoWorkflow, Client, WorkflowEngine } from '../../index.mjs';

const [baseUrl, store, document, inputs] = process.argv.slice(2);
const engine = new WorkflowEngine(new Client({ baseUrl, store, poll: { intervalMs: 10 } }), { leaseMs: 200 });
await ArazzoWorkflow.load(document, 'checkout').run(engine, JSON.parse(inputs), { runId: 'arazzo-crash-1' });
