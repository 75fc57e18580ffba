//! The chaos campaign of oncely's workflows: N order sagas run by several
//! worker **processes** sharing one store (a SQLite file, or PostgreSQL for the
//! fleet variant) against the reference server with seeded faults, while the
//! supervisor SIGKILLs random workers mid-run and restarts them. At the end it
//! reads the server's ledger and proves that nothing happened twice, no run was
//! lost and every compensation cleaned up.
//!
//! The outbox campaign ([`outbox`]) does the same for a transactional
//! outbox: an application committing rows with their calls and dispatcher
//! processes delivering them, both SIGKILLed.
//!
//! ```text
//! cargo run --release -p chaos -- run --orders 1000                 # SQLite file
//! cargo run --release -p chaos -- run --store postgres://…/postgres # fleet on PostgreSQL
//! ```

pub mod outbox;
pub mod report;
pub mod saga;
pub mod supervisor;
pub mod worker;
