use super::*;
use crate::arazzo::context::HttpMessage;
use serde_json::json;

fn context() -> EvalContext {
    EvalContext {
        status_code: Some(200),
        response: Some(HttpMessage {
            headers: vec![("X-Rate-Limit".into(), "10".into())],
            body: Some(
                json!({"status": "Running", "items": [{"id": 1}, {"id": 2}], "done": false, "n": 2.5}),
            ),
            ..HttpMessage::default()
        }),
        inputs: json!({"quantity": 3, "name": "O'Brien"}).into(),
        ..EvalContext::default()
    }
}

fn holds(text: &str) -> bool {
    Condition::parse(text)
        .unwrap_or_else(|e| panic!("{e}"))
        .evaluate(&context())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn parse_error(text: &str) -> ConditionError {
    Condition::parse(text).expect_err(text)
}

fn eval_error(text: &str) -> ConditionError {
    Condition::parse(text)
        .unwrap_or_else(|e| panic!("{e}"))
        .evaluate(&context())
        .expect_err(text)
}

#[test]
fn comparisons_of_every_operator() {
    assert!(holds("$statusCode == 200"));
    assert!(holds("$statusCode==200"));
    assert!(!holds("$statusCode != 200"));
    assert!(holds("$statusCode < 201"));
    assert!(holds("$statusCode <= 200"));
    assert!(holds("$statusCode > 199.5"));
    assert!(holds("$statusCode >= 200"));
    assert!(!holds("$statusCode > 200"));
    assert!(holds("200 == 200.0"));
    assert!(holds("-1 < 0"));
    assert!(holds("1e3 == 1000"));
}

#[test]
fn literals() {
    assert!(holds("true"));
    assert!(!holds("false"));
    assert!(holds("null == null"));
    assert!(holds("'it''s' == 'IT''S'"));
    assert!(holds("$inputs.name == 'o''brien'"));
    assert!(holds("'' == ''"));
}

#[test]
fn precedence_and_parentheses() {
    // && binds tighter than ||.
    assert!(holds("true || false && false"));
    assert!(!holds("(true || false) && false"));
    // ! binds tightest, comparisons bind tighter than && and ||.
    assert!(holds("!false && $statusCode == 200"));
    assert!(holds("!($statusCode == 404)"));
    assert!(holds("$statusCode == 200 && $inputs.quantity > 2 || false"));
    assert!(holds("!!true"));
    assert!(holds("((($statusCode == 200)))"));
}

#[test]
fn type_rules() {
    // A string holding a number compares as a number.
    assert!(holds("$response.header.X-Rate-Limit == 10"));
    assert!(holds("$response.header.X-Rate-Limit > 9"));
    // String equality is case-insensitive.
    assert!(holds("$response.body#/status == 'running'"));
    assert!(holds("'abc' < 'ABD'"));
    // A boolean equals its spelling.
    assert!(holds("$response.body#/done == 'FALSE'"));
    // Different types are unequal, not an error.
    assert!(!holds("'abc' == 1"));
    assert!(holds("$response.body#/items != null"));
    // Absent values are null.
    assert!(holds("$response.body#/error == null"));
    assert!(holds("$response.header.Missing == null"));
    assert!(!holds("$response.body#/error"));
    let e = eval_error("$response.body#/items > 1");
    assert!(matches!(
        e.kind,
        ConditionErrorKind::Incomparable {
            left: "array",
            right: "number",
            ..
        }
    ));
    let e = eval_error("$statusCode && true");
    assert_eq!(e.kind, ConditionErrorKind::NotBoolean("number"));
    assert_eq!(e.position, 0);
    let e = eval_error("$statusCode");
    assert_eq!(e.kind, ConditionErrorKind::NotBoolean("number"));
}

#[test]
fn index_and_property_dereference() {
    assert!(holds("$response.body#/items[1].id == 2"));
    assert!(holds("$response.body.items[0]['id'] == 1"));
    assert!(holds("$response.body.status == 'RUNNING'"));
    assert!(holds("$response.body#/items[5] == null"));
    assert!(holds("$response.body.n == 2.5"));
}

#[test]
fn braced_condition_from_the_specification() {
    assert!(holds("{$statusCode == 200}"));
    assert!(!holds(" {$statusCode == 401} "));
}

#[test]
fn no_context_is_an_error() {
    let condition = Condition::parse("$statusCode == 200").unwrap();
    let e = condition.evaluate(&EvalContext::default()).unwrap_err();
    assert!(matches!(e.kind, ConditionErrorKind::Evaluate(_)));
}

#[test]
fn malformed_conditions_have_positions() {
    let cases: &[(&str, usize)] = &[
        ("", 0),
        ("   ", 0),
        ("$statusCode ==", 14),
        ("== 200", 0),
        ("$statusCode = 200", 12),
        ("$statusCode == 200 &&", 21),
        ("($statusCode == 200", 19),
        ("$statusCode == 200)", 18),
        ("$statusCode == 'open", 15),
        ("$statusCode == 2xx", 15),
        ("$statusCode == 200 == true", 19),
        ("$statusCode == available", 15),
        ("$statuscode == 200", 0),
        ("$response.body#bad == 1", 15),
        ("1 2", 2),
        ("$response.body#/a[x] == 1", 18),
        ("$response.body#/a[0 == 1", 20),
        ("# == 1", 0),
    ];
    for (text, position) in cases {
        let e = parse_error(text);
        assert_eq!(e.position, *position, "{text}: {e}");
        assert_eq!(e.condition, *text);
    }
    assert_eq!(parse_error("").kind, ConditionErrorKind::Empty);
    assert_eq!(
        parse_error("$statusCode == 200 == true").kind,
        ConditionErrorKind::ChainedComparison
    );
    assert_eq!(
        parse_error("'open").kind,
        ConditionErrorKind::UnterminatedString
    );
    assert!(matches!(
        parse_error("$statuscode == 200").kind,
        ConditionErrorKind::Expression(_)
    ));
}

#[test]
fn expressions_are_listed() {
    let c = Condition::parse("$statusCode == 200 && !($steps.a.outputs.b < $inputs.c)").unwrap();
    let listed: Vec<String> = c.expressions().iter().map(|e| e.to_string()).collect();
    assert_eq!(listed, ["$statusCode", "$steps.a.outputs.b", "$inputs.c"]);
}
