//! `webhooks.py`: the webhooks (and callbacks) the API sends, one frozen
//! dataclass per webhook holding its typed payload, the `WebhookEvent`
//! union, and `decode_webhook(body)`, which picks the webhook from the
//! payload.

use std::fmt::Write as _;

use super::ctx::{docstring, lit, module_header, type_name, Ctx};
use crate::emit::common::docs_paragraphs;
use crate::naming::Scope;

/// Module-level names the generated code uses itself.
const RESERVED: &[&str] = &[
    "annotations",
    "json",
    "dataclasses",
    "Any",
    "ClassVar",
    "oncely",
    "m",
    "_s",
    "WebhookEvent",
    "decode_webhook",
    "handle_webhook",
    "Literal",
    "Mapping",
    "Sequence",
];

/// The text of `webhooks.py`.
pub(super) fn webhooks_py(ctx: &Ctx<'_>) -> String {
    let hooks = &ctx.api.webhooks;
    let mut scope = Scope::with_reserved(RESERVED.iter().copied());
    let mut out = String::new();
    module_header(&mut out, "Webhooks", ctx.api);
    out.push_str(
        "import dataclasses\nimport json\nfrom collections.abc import Mapping, Sequence\nfrom typing import Any, ClassVar, Literal\n\nimport oncely\nimport oncely.webhooks\n\n",
    );
    out.push_str(
        "from . import _support as _s  # noqa: F401\nfrom . import models as m  # noqa: F401\n",
    );
    let mut classes = Vec::new();
    for w in hooks {
        let class = type_name(&mut scope, &w.name, "Webhook");
        let ann = ctx.ann(&w.payload, "m.");
        let dec = if ann == "Any" {
            "_s.any_value".to_string()
        } else {
            ctx.dec(&w.payload, "m.")
        };
        let _ = writeln!(
            out,
            "\n\n@dataclasses.dataclass(frozen=True)\nclass {class}:"
        );
        let mut paras = vec![format!("`{}` ({} request).", w.name, w.method.as_str())];
        paras.extend(docs_paragraphs(&w.docs));
        docstring(&mut out, "    ", &paras);
        let _ = writeln!(out, "\n    NAME: ClassVar[str] = {}", lit(&w.name));
        let _ = writeln!(out, "    payload: {ann}");
        classes.push((w, class, dec));
    }
    let union = classes
        .iter()
        .map(|(_, c, _)| c.as_str())
        .collect::<Vec<_>>()
        .join(" | ");
    let _ = writeln!(
        out,
        "\n\n#: A webhook delivery, decoded.\nWebhookEvent = {union}\n"
    );
    out.push_str("\ndef handle_webhook(\n    headers: Mapping[str, str],\n    body: bytes | str,\n    *,\n    secret: str | Sequence[str],\n    scheme: Literal[\"standard\", \"stripe\"] = \"standard\",\n    tolerance: float | None = None,\n) -> tuple[str, WebhookEvent]:\n");
    docstring(
        &mut out,
        "    ",
        &["Verifies a delivery's signature (Standard Webhooks, or Stripe's `Stripe-Signature`) against `secret` (or several, during a rotation) and decodes it: the event id, the same on every delivery (record it, with `oncely.WebhookInbox` or `oncely.webhooks.claim_event_sqlite`, to process the event once), and the typed event. A bad signature raises `oncely.WebhookError`; a body that does not decode, `oncely.DecodeError`.".into()],
    );
    out.push_str("    verify = oncely.webhooks.verify_stripe if scheme == \"stripe\" else oncely.webhooks.verify_standard\n    verified = verify(secret, headers, body, tolerance=tolerance)\n    return str(verified[\"id\"]), decode_webhook(body)\n\n");
    out.push_str("\ndef decode_webhook(body: bytes | str) -> WebhookEvent:\n");
    docstring(
        &mut out,
        "    ",
        &["Decodes the raw body of a delivery (verify its signature first): the webhook is chosen by the payload field that names the event, and the payload decoded as its type. A body that is not JSON, names no known event or does not fit raises `oncely.DecodeError`.".into()],
    );
    out.push_str("    try:\n        value: Any = json.loads(body)\n    except ValueError as e:\n        raise oncely.DecodeError(f\"webhook body is not JSON: {e}\") from None\n");
    if let [(_, class, dec)] = classes.as_slice() {
        let _ = writeln!(out, "    return {class}({dec}(value))");
        return out;
    }
    out.push_str("\n    def field(name: str) -> Any:\n        return value.get(name) if isinstance(value, dict) else None\n\n");
    for (w, class, dec) in &classes {
        let field = w.selector.as_deref().unwrap_or("type");
        let _ = writeln!(
            out,
            "    if field({}) == {}:\n        return {class}({dec}(value))",
            lit(field),
            lit(&w.name)
        );
    }
    for (w, class, dec) in &classes {
        let Some(field) = w
            .selector
            .as_deref()
            .filter(|_| !w.selector_values.is_empty())
        else {
            continue;
        };
        let values = w
            .selector_values
            .iter()
            .map(|v| lit(v))
            .collect::<Vec<_>>()
            .join(", ");
        let values = if w.selector_values.len() == 1 {
            format!("{values},")
        } else {
            values
        };
        let _ = writeln!(
            out,
            "    if field({}) in ({values}):\n        return {class}({dec}(value))",
            lit(field)
        );
    }
    let mut fields: Vec<&str> = hooks
        .iter()
        .map(|w| w.selector.as_deref().unwrap_or("type"))
        .collect();
    fields.sort_unstable();
    fields.dedup();
    let _ = writeln!(
        out,
        "    named = [f\"{{f}} = {{field(f)!r}}\" for f in ({},) if field(f) is not None]\n    raise oncely.DecodeError(\n        f\"no webhook of the API has {{named[0]}}\" if named else \"the webhook payload names no event\"\n    )",
        fields.iter().map(|f| lit(f)).collect::<Vec<_>>().join(", ")
    );
    out
}
