//! `src/webhooks.rs`: the webhooks (and callbacks) the API sends, as one
//! typed event with a decoder that picks the webhook from the payload.

use std::fmt::Write;

use super::ctx::{variant_in, Ctx};
use super::text::{code, lit, write_doc};
use crate::emit::common::docs_text;
use crate::ir::Webhook;
use crate::naming::Scope;

const MODELS: &str = "crate::models::";

/// The text of `src/webhooks.rs`.
pub(crate) fn emit(ctx: &Ctx<'_>) -> String {
    let hooks = &ctx.api.webhooks;
    let mut scope = Scope::with_reserved(["Self"]);
    let variants: Vec<(String, String)> = hooks
        .iter()
        .map(|w| {
            (
                variant_in(&mut scope, &w.name, "Webhook"),
                ctx.ty(&w.payload, MODELS),
            )
        })
        .collect();
    let mut out = String::from(
        "//! The webhooks the API sends, decoded into one typed event.\n//!\n\
         //! Verify a delivery's signature first (`oncely::webhook`), then\n\
         //! `WebhookEvent::decode(body)`; record the event id to process it once.\n\n",
    );
    out.push_str(
        "/// A webhook delivery, decoded.\n#[derive(Debug, Clone)]\npub enum WebhookEvent {\n",
    );
    for (w, (v, t)) in hooks.iter().zip(&variants) {
        let mut paras = vec![format!(
            "{} ({} request).",
            code(&w.name),
            w.method.as_str()
        )];
        paras.extend(docs_text(&w.docs));
        write_doc(&mut out, "    ", &paras);
        let _ = writeln!(out, "    {v}({t}),");
    }
    out.push_str("}\n\nimpl WebhookEvent {\n");
    out.push_str("    /// The webhook's name in the API document.\n    pub fn name(&self) -> &'static str {\n        match self {\n");
    for (w, (v, _)) in hooks.iter().zip(&variants) {
        let _ = writeln!(out, "            Self::{v}(_) => {},", lit(&w.name));
    }
    out.push_str("        }\n    }\n\n");
    out.push_str(
        "    /// Verifies a delivery with `verifier` (`oncely::webhook::StandardWebhooks`,\n    \
         /// `StripeWebhooks`) and decodes it: the event's id (the same on every\n    \
         /// delivery: record it, with `oncely::webhook::WebhookInbox` or\n    \
         /// `claim_event`, to process the event once) and the typed event. A body\n    \
         /// that does not decode is `WebhookError::MalformedBody`.\n    \
         pub fn handle(\n        \
         verifier: &dyn ::oncely::webhook::Verifier,\n        \
         headers: &dyn ::oncely::webhook::WebhookHeaders,\n        \
         body: &[u8],\n    \
         ) -> ::std::result::Result<(::oncely::webhook::VerifiedWebhook, Self), ::oncely::webhook::WebhookError> {\n        \
         let verified = verifier.verify(headers, body)?;\n        \
         let event = Self::decode(body).map_err(|e| ::oncely::webhook::WebhookError::MalformedBody {\n            \
         reason: e.to_string(),\n        \
         })?;\n        \
         ::std::result::Result::Ok((verified, event))\n    \
         }\n\n",
    );
    out.push_str(
        "    /// Decodes the raw body of a delivery: the webhook is chosen by the\n    \
         /// payload field that names the event, and the payload decoded as its\n    \
         /// type. A body that is not JSON, names no known event or does not fit\n    \
         /// is `oncely::Error::Decode`, naming where.\n",
    );
    out.push_str(
        "    pub fn decode(body: &[u8]) -> ::std::result::Result<Self, ::oncely::Error> {\n",
    );
    if let [only] = hooks.as_slice() {
        let (v, _) = &variants[0];
        let _ = writeln!(
            out,
            "        ::std::result::Result::Ok(Self::{v}(::oncely::Error::decode_json(|| {}.into(), body)?))\n    }}\n}}",
            lit(&format!("webhook `{}`", only.name))
        );
        return out;
    }
    out.push_str("        let value: ::serde_json::Value = ::oncely::Error::decode_json(|| \"webhook body\".into(), body)?;\n");
    out.push_str(
        "        let field = |name: &str| value.get(name).and_then(::serde_json::Value::as_str);\n",
    );
    // A value equal to a webhook's name first, then the values its schema
    // allows.
    let decode = |w: &Webhook, v: &str| {
        format!(
            "return ::std::result::Result::Ok(Self::{v}(::oncely::Error::decode_json(|| {}.into(), body)?));",
            lit(&format!("webhook `{}`", w.name))
        )
    };
    for (w, (v, _)) in hooks.iter().zip(&variants) {
        let field = w.selector.as_deref().unwrap_or("type");
        let _ = writeln!(
            out,
            "        if field({}) == Some({}) {{\n            {}\n        }}",
            lit(field),
            lit(&w.name),
            decode(w, v)
        );
    }
    for (w, (v, _)) in hooks.iter().zip(&variants) {
        let Some(field) = w
            .selector
            .as_deref()
            .filter(|_| !w.selector_values.is_empty())
        else {
            continue;
        };
        let cond = w
            .selector_values
            .iter()
            .map(|x| format!("Some({})", lit(x)))
            .collect::<Vec<_>>()
            .join(" | ");
        let _ = writeln!(
            out,
            "        if matches!(field({}), {cond}) {{\n            {}\n        }}",
            lit(field),
            decode(w, v)
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
        "        let named = [{}].iter().find_map(|f| field(f).map(|v| format!(\"{{f}} = {{v:?}}\")));",
        fields.iter().map(|f| lit(f)).collect::<Vec<_>>().join(", ")
    );
    out.push_str(
        "        ::std::result::Result::Err(::oncely::Error::Decode {\n            \
         what: \"webhook body\".into(),\n            \
         path: \".\".into(),\n            \
         message: match named {\n                \
         Some(n) => format!(\"no webhook of the API has {n}\"),\n                \
         None => \"the payload names no event\".into(),\n            },\n            \
         snippet: ::std::string::String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned(),\n        \
         })\n    }\n}\n",
    );
    out
}
