//! Webhooks (3.1 `webhooks`) and callbacks (3.0 `callbacks`) → IR
//! [`Webhook`]s: what the API sends its users, so the generated clients can
//! decode a delivery into a typed event.
//!
//! A delivery is told apart from the others by a field of its payload that
//! names the event (`type`, `event`, `event_type`, `eventType`): a value
//! equal to a webhook's own name selects it (as in `webhooks:
//! {order.created: …}` with `"type": "order.created"`), then a value its
//! schema allows (an enum or a const).

use serde_json::{Map, Value};

use super::{esc, Lowerer};
use crate::error::{DiagnosticKind, Severity};
use crate::ir::{BodyKind, Docs, EnumLiteral, Method, Type, TypeDef, Webhook};

/// Payload fields that name the event, most common first.
const SELECTORS: [&str; 4] = ["type", "event", "event_type", "eventType"];

impl<'a> Lowerer<'a> {
    /// Every webhook and callback of the document, in document order.
    pub(crate) fn lower_webhooks(&mut self) -> Vec<Webhook> {
        let doc = self.doc;
        let mut out = Vec::new();
        if let Some(hooks) = doc.get("webhooks").and_then(Value::as_object) {
            for (name, item) in hooks {
                let ptr = format!("/webhooks/{}", esc(name));
                self.path_item_hooks(name, item, &ptr, &mut out);
            }
        }
        let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
            return out;
        };
        for (path, item) in paths {
            let item_ptr = format!("/paths/{}", esc(path));
            let Some((item, item_ptr, _)) = self.deref(item, item_ptr) else {
                continue;
            };
            for m in Method::ALL {
                let Some(op) = item.get(m.key()) else {
                    continue;
                };
                let Some(callbacks) = op.get("callbacks").and_then(Value::as_object) else {
                    continue;
                };
                let op_name = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{} {path}", m.key()));
                for (cb_name, cb) in callbacks {
                    let cb_ptr = format!("{item_ptr}/{}/callbacks/{}", m.key(), esc(cb_name));
                    let Some((cb, cb_ptr, _)) = self.deref(cb, cb_ptr) else {
                        continue;
                    };
                    let Some(exprs) = cb.as_object() else {
                        continue;
                    };
                    let several = exprs.len() > 1;
                    for (i, (expr, item)) in exprs.iter().enumerate() {
                        let name = if several {
                            format!("{op_name} {cb_name} {}", i + 1)
                        } else {
                            format!("{op_name} {cb_name}")
                        };
                        let ptr = format!("{cb_ptr}/{}", esc(expr));
                        self.path_item_hooks(&name, item, &ptr, &mut out);
                    }
                }
            }
        }
        out
    }

    /// The webhooks of one path item (one per method it declares).
    fn path_item_hooks(&mut self, name: &str, item: &'a Value, ptr: &str, out: &mut Vec<Webhook>) {
        let Some((item, ptr, _)) = self.deref(item, ptr.to_string()) else {
            return;
        };
        let Some(item) = item.as_object() else {
            self.diag(
                Severity::Warning,
                DiagnosticKind::Invalid,
                &ptr,
                "webhook is not a path item; ignored",
            );
            return;
        };
        let methods: Vec<Method> = Method::ALL
            .into_iter()
            .filter(|m| item.contains_key(m.key()))
            .collect();
        for m in &methods {
            let op_ptr = format!("{ptr}/{}", m.key());
            let hook_name = if methods.len() > 1 {
                format!("{name} {}", m.key())
            } else {
                name.to_string()
            };
            let op = item.get(m.key()).and_then(Value::as_object);
            out.push(self.webhook(&hook_name, *m, op, &op_ptr));
        }
    }

    fn webhook(
        &mut self,
        name: &str,
        method: Method,
        op: Option<&'a Map<String, Value>>,
        ptr: &str,
    ) -> Webhook {
        let text = |k: &str| {
            op.and_then(|o| o.get(k))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let docs = Docs {
            summary: text("summary"),
            description: text("description"),
            deprecated: op.and_then(|o| o.get("deprecated")) == Some(&Value::Bool(true)),
        };
        let hint = format!("{name} event");
        let payload = op
            .and_then(|o| o.get("requestBody"))
            .and_then(|b| self.request_body(b, &format!("{ptr}/requestBody"), &hint))
            .and_then(|b| b.contents.into_iter().find(|c| c.kind == BodyKind::Json))
            .map(|c| c.ty)
            .unwrap_or_else(Type::any);
        let (selector, selector_values) = self.selector(&payload);
        Webhook {
            name: name.to_string(),
            method,
            pointer: ptr.to_string(),
            docs,
            payload,
            selector,
            selector_values,
        }
    }

    /// The payload field that names the event and the values it may take.
    fn selector(&self, payload: &Type) -> (Option<String>, Vec<String>) {
        let Type::Ref(id) = payload.non_null() else {
            return (None, Vec::new());
        };
        let Some(TypeDef::Object(o)) = self.types.get(id.0).map(|d| &d.def) else {
            return (None, Vec::new());
        };
        for name in SELECTORS {
            let Some(f) = o.fields.iter().find(|f| f.name == name) else {
                continue;
            };
            let values = match f.ty.non_null() {
                Type::Ref(e) => match self.types.get(e.0).map(|d| &d.def) {
                    Some(TypeDef::Enum(e)) => e
                        .values
                        .iter()
                        .filter_map(|v| match &v.value {
                            EnumLiteral::String(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            return (Some(f.name.clone()), values);
        }
        (None, Vec::new())
    }
}
