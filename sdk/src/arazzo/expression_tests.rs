//! The grammar suite: every production of the specification's ABNF, with
//! valid and invalid examples.

use super::*;

fn parse(text: &str) -> Expression {
    Expression::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn error(text: &str) -> ExpressionError {
    match Expression::parse(text) {
        Ok(expression) => panic!("{text} parsed as {expression:?}"),
        Err(e) => e,
    }
}

fn pointer(text: &str) -> Option<JsonPointer> {
    Some(JsonPointer::parse(text).unwrap())
}

fn named(name: &str, ptr: Option<JsonPointer>) -> NamedValue {
    NamedValue {
        name: name.into(),
        pointer: ptr,
    }
}

#[test]
fn keywords() {
    assert_eq!(parse("$url"), Expression::Url);
    assert_eq!(parse("$method"), Expression::Method);
    assert_eq!(parse("$statusCode"), Expression::StatusCode);
    assert_eq!(
        error("$url/x").kind,
        ExpressionErrorKind::Trailing("/x".into())
    );
    assert_eq!(error("$statusCode ").position, "$statusCode".len());
    assert!(matches!(
        error("$statuscode").kind,
        ExpressionErrorKind::UnknownRoot(_)
    ));
    assert!(matches!(
        error("$urls").kind,
        ExpressionErrorKind::UnknownRoot(_)
    ));
    assert_eq!(error("url").kind, ExpressionErrorKind::MissingDollar);
    assert_eq!(error("").kind, ExpressionErrorKind::MissingDollar);
    assert!(matches!(
        error("$").kind,
        ExpressionErrorKind::UnknownRoot(_)
    ));
}

#[test]
fn header_reference_uses_tchar() {
    assert_eq!(
        parse("$request.header.accept"),
        Expression::Request(MessagePart::Header("accept".into()))
    );
    // Every tchar of RFC 9110, including '#', '$' and '.'.
    let token = "!#$%&'*+-.^_`|~09azAZ";
    assert_eq!(
        parse(&format!("$response.header.{token}")),
        Expression::Response(MessagePart::Header(token.into()))
    );
    for bad in [
        "(", ")", ",", "/", ":", ";", "<", "=", ">", "?", "@", "[", "\\", "]", "{", "}", "\"", " ",
        "é",
    ] {
        let e = error(&format!("$response.header.X{bad}"));
        assert_eq!(e.position, "$response.header.X".len(), "{bad}");
        assert!(
            matches!(e.kind, ExpressionErrorKind::Character { .. }),
            "{bad}"
        );
    }
    assert_eq!(
        error("$response.header.").kind,
        ExpressionErrorKind::EmptyName("a header name")
    );
}

#[test]
fn query_and_path_references_take_any_char() {
    assert_eq!(
        parse("$request.query.page size"),
        Expression::Request(MessagePart::Query("page size".into()))
    );
    assert_eq!(
        parse("$request.path.id"),
        Expression::Request(MessagePart::Path("id".into()))
    );
    assert_eq!(
        parse("$response.query.a.b"),
        Expression::Response(MessagePart::Query("a.b".into()))
    );
    assert!(matches!(
        error("$request.query.na\u{e9}me").kind,
        ExpressionErrorKind::Character {
            character: '\u{e9}',
            ..
        }
    ));
    assert_eq!(
        error("$request.path.").kind,
        ExpressionErrorKind::EmptyName("path parameter name")
    );
    assert!(matches!(
        error("$request.cookie.x").kind,
        ExpressionErrorKind::Expected(_)
    ));
    assert!(matches!(
        error("$request").kind,
        ExpressionErrorKind::Expected(_)
    ));
    assert!(matches!(
        error("$request.").kind,
        ExpressionErrorKind::Expected(_)
    ));
}

#[test]
fn body_reference_and_json_pointer() {
    assert_eq!(
        parse("$response.body"),
        Expression::Response(MessagePart::Body(None))
    );
    assert_eq!(
        parse("$response.body#"),
        Expression::Response(MessagePart::Body(pointer("")))
    );
    assert_eq!(
        parse("$request.body#/user/uuid"),
        Expression::Request(MessagePart::Body(pointer("/user/uuid")))
    );
    // ~0 is '~', ~1 is '/'; unescaped covers everything else, even '#'.
    let Expression::Response(MessagePart::Body(Some(p))) = parse("$response.body#/a~1b/c~0d/#x/0/")
    else {
        panic!()
    };
    assert_eq!(p.tokens(), ["a/b", "c~d", "#x", "0", ""]);
    let e = error("$response.body#/a~2");
    assert_eq!(e.position, "$response.body#/a".len());
    assert!(matches!(e.kind, ExpressionErrorKind::Pointer(_)));
    assert!(matches!(
        error("$response.body#/a~").kind,
        ExpressionErrorKind::Pointer(_)
    ));
    assert_eq!(
        error("$response.body#status").kind,
        ExpressionErrorKind::Pointer(PointerError::MissingSlash)
    );
    assert_eq!(
        error("$response.body.status").kind,
        ExpressionErrorKind::BodyProperty
    );
    assert!(matches!(
        error("$response.bodyx").kind,
        ExpressionErrorKind::Trailing(_)
    ));
}

#[test]
fn inputs_and_outputs() {
    assert_eq!(
        parse("$inputs.username"),
        Expression::Inputs(named("username", None))
    );
    assert_eq!(
        parse("$inputs.x-api-key"),
        Expression::Inputs(named("x-api-key", None))
    );
    assert_eq!(
        parse("$outputs.bar#/name"),
        Expression::Outputs(named("bar", pointer("/name")))
    );
    assert_eq!(
        error("$inputs.").kind,
        ExpressionErrorKind::EmptyName("input name")
    );
    assert!(matches!(
        error("$inputs").kind,
        ExpressionErrorKind::Expected(_)
    ));
    assert!(matches!(
        error("$outputs.a#b").kind,
        ExpressionErrorKind::Pointer(_)
    ));
}

#[test]
fn step_outputs() {
    assert_eq!(
        parse("$steps.someStepId.outputs.pets"),
        Expression::StepOutput {
            step_id: "someStepId".into(),
            output: named("pets", None)
        }
    );
    assert_eq!(
        parse("$steps.browser-authorize.outputs.code"),
        Expression::StepOutput {
            step_id: "browser-authorize".into(),
            output: named("code", None)
        }
    );
    assert_eq!(
        parse("$steps.s_1.outputs.my.dotted.name#/0/id"),
        Expression::StepOutput {
            step_id: "s_1".into(),
            output: named("my.dotted.name", pointer("/0/id"))
        }
    );
    assert!(matches!(
        error("$steps.s.output.x").kind,
        ExpressionErrorKind::Expected(_)
    ));
    assert!(matches!(
        error("$steps.s").kind,
        ExpressionErrorKind::Expected(_)
    ));
    assert_eq!(
        error("$steps..outputs.x").kind,
        ExpressionErrorKind::EmptyName("stepId")
    );
    assert!(matches!(
        error("$steps.a b.outputs.x").kind,
        ExpressionErrorKind::Character { character: ' ', .. }
    ));
    assert_eq!(
        error("$steps.s.outputs.").kind,
        ExpressionErrorKind::EmptyName("output name")
    );
}

#[test]
fn workflows() {
    assert_eq!(
        parse("$workflows.foo.inputs.username"),
        Expression::Workflow {
            workflow_id: "foo".into(),
            field: WorkflowField::Inputs,
            value: named("username", None)
        }
    );
    assert_eq!(
        parse("$workflows.foo.outputs.mappedResponse#/name"),
        Expression::Workflow {
            workflow_id: "foo".into(),
            field: WorkflowField::Outputs,
            value: named("mappedResponse", pointer("/name"))
        }
    );
    let e = error("$workflows.foo.steps.x");
    assert_eq!(e.position, "$workflows.foo.".len());
    assert!(matches!(e.kind, ExpressionErrorKind::Expected(_)));
}

#[test]
fn source_descriptions_and_components() {
    assert_eq!(
        parse("$sourceDescriptions.petStore.url"),
        Expression::SourceDescription {
            name: "petStore".into(),
            member: "url".into()
        }
    );
    assert_eq!(
        parse("$sourceDescriptions.orders.createOrder"),
        Expression::SourceDescription {
            name: "orders".into(),
            member: "createOrder".into()
        }
    );
    assert!(matches!(
        error("$sourceDescriptions.orders").kind,
        ExpressionErrorKind::Expected(_)
    ));
    for (text, kind, name) in [
        (
            "$components.parameters.page",
            ComponentKind::Parameters,
            "page",
        ),
        (
            "$components.inputs.my.org.User",
            ComponentKind::Inputs,
            "my.org.User",
        ),
        (
            "$components.successActions.notify",
            ComponentKind::SuccessActions,
            "notify",
        ),
        (
            "$components.failureActions.refresh-token",
            ComponentKind::FailureActions,
            "refresh-token",
        ),
    ] {
        assert_eq!(
            parse(text),
            Expression::Component {
                kind,
                name: name.into()
            }
        );
    }
    assert!(matches!(
        error("$components.schemas.x").kind,
        ExpressionErrorKind::Expected(_)
    ));
    assert_eq!(
        error("$components.parameters.").kind,
        ExpressionErrorKind::EmptyName("component name")
    );
}

#[test]
fn display_round_trips() {
    for text in [
        "$url",
        "$method",
        "$statusCode",
        "$request.header.X-Request-Id",
        "$request.query.q",
        "$request.path.id",
        "$request.body",
        "$response.body#/a~1b/c~0d",
        "$inputs.a",
        "$outputs.b#/0",
        "$steps.s.outputs.o#/x",
        "$workflows.w.inputs.i",
        "$workflows.w.outputs.o",
        "$sourceDescriptions.api.url",
        "$components.parameters.p",
    ] {
        assert_eq!(parse(text).to_string(), text);
    }
}

#[test]
fn roots_decide_what_is_an_expression() {
    assert!(looks_like_expression("$inputs.a"));
    assert!(looks_like_expression("$statusCode"));
    assert!(!looks_like_expression("$5 off"));
    assert!(!looks_like_expression("available"));
}
