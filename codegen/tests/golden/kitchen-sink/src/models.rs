//! Data types of the API.

/// Schema `#/components/schemas/2xx-model`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct V2xxModel {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub a: ::std::option::Option<::std::string::String>,
}

/// Schema `#/components/schemas/Animal`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Animal {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub name: ::std::option::Option<::std::string::String>,
    pub pet_type: ::std::string::String,
}

/// Schema `#/components/schemas/BadDiscriminator`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
#[serde(untagged)]
pub enum BadDiscriminator {
    String(::std::string::String),
    Cat(Cat),
}

/// Text with a bidi control  here, and a doctest \`\`\`rust
/// fn main() {}
/// ```text
/// ```
///
/// Schema `#/components/schemas/Bidi`.
pub type Bidi = ::std::string::String;

/// Schema `#/components/schemas/BinOp`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
pub struct BinOp {
    pub left: ::std::boxed::Box<Expr>,
    pub right: ::std::boxed::Box<Expr>,
}

/// Schema `#/components/schemas/Cat`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Cat {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub lives: ::std::option::Option<i64>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub name: ::std::option::Option<::std::string::String>,
    pub pet_type: ::std::string::String,
}

/// Schema `#/components/schemas/Circle`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Circle {
    pub radius: f64,
}

/// Schema `#/components/schemas/Dog`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Dog {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub friend: ::std::option::Option<::std::boxed::Box<Pet>>,
    pub good: bool,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub name: ::std::option::Option<::std::string::String>,
    pub pet_type: ::std::string::String,
}

/// Schema `#/components/schemas/Empty`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Empty {
}

/// Schema `#/components/schemas/Expr`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
#[serde(untagged)]
pub enum Expr {
    Integer(i64),
    BinOp(::std::boxed::Box<BinOp>),
}

/// Schema `#/components/schemas/Forest`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
#[serde(transparent)]
pub struct Forest(pub ::std::collections::BTreeMap<::std::string::String, Forest>);

/// Schema `#/components/schemas/FreeForm`.
pub type FreeForm = ::serde_json::Map<::std::string::String, ::serde_json::Value>;

/// Schema `#/components/schemas/Kind`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum Kind {
    /// `small`
    #[serde(rename = "small")]
    Small2,
    /// `Small`
    #[serde(rename = "Small")]
    Small,
    /// `SMALL`
    #[serde(rename = "SMALL")]
    Small3,
    /// `large`
    #[serde(rename = "large")]
    Large,
    /// \`\`
    #[serde(rename = "")]
    Empty,
    /// `+1`
    #[serde(rename = "+1")]
    Plus1,
    /// `-1`
    #[serde(rename = "-1")]
    Minus1,
    /// `has space`
    #[serde(rename = "has space")]
    HasSpace,
    /// `dots.and-dashes`
    #[serde(rename = "dots.and-dashes")]
    DotsAndDashes,
    /// `Ünïcödé`
    #[serde(rename = "\u{dc}n\u{ef}c\u{f6}d\u{e9}")]
    Unicode,
    /// `日本`
    #[serde(rename = "\u{65e5}\u{672c}")]
    Empty2,
    /// `self`
    #[serde(rename = "self")]
    SelfValue,
    /// `Unknown`
    #[serde(rename = "Unknown")]
    Unknown,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown2(::std::string::String),
}

impl Kind {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Small2 => "small",
            Self::Small => "Small",
            Self::Small3 => "SMALL",
            Self::Large => "large",
            Self::Empty => "",
            Self::Plus1 => "+1",
            Self::Minus1 => "-1",
            Self::HasSpace => "has space",
            Self::DotsAndDashes => "dots.and-dashes",
            Self::Unicode => "\u{dc}n\u{ef}c\u{f6}d\u{e9}",
            Self::Empty2 => "\u{65e5}\u{672c}",
            Self::SelfValue => "self",
            Self::Unknown => "Unknown",
            Self::Unknown2(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for Kind {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Schema `#/components/schemas/Lizard`.
pub type Lizard = Animal;

/// Schema `#/components/schemas/LoopA`.
pub type LoopA = ::serde_json::Value;

/// Schema `#/components/schemas/LoopB`.
pub type LoopB = LoopA;

/// allOf with a oneOf inside degrades to extra properties.
///
/// Schema `#/components/schemas/Merged`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Merged {
    pub radius: f64,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub x: ::std::option::Option<::std::string::String>,
    /// Properties not listed above.
    #[serde(flatten)]
    pub additional_properties: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
}

/// Schema `#/components/schemas/Mixed`.
pub type Mixed = ::serde_json::Value;

/// Schema `#/components/schemas/Names`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Names {
    #[serde(rename = "")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub field: ::std::option::Option<::std::string::String>,
    #[serde(rename = "$ref")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub r#ref: ::std::option::Option<::std::string::String>,
    #[serde(rename = "2fa")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub n2fa: ::std::option::Option<::std::string::String>,
    #[serde(rename = "Self")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub self_2: ::std::option::Option<::std::string::String>,
    #[serde(rename = "Type")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub type_2: ::std::option::Option<::std::string::String>,
    #[serde(rename = "_")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub underscore: ::std::option::Option<::std::string::String>,
    #[serde(rename = "a.b")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub a_b: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub additional_properties: ::std::option::Option<::std::string::String>,
    #[serde(rename = "foo-bar")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub foo_bar_2: ::std::option::Option<::std::string::String>,
    #[serde(rename = "fooBar")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub foo_bar_3: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub foo_bar: ::std::option::Option<::std::string::String>,
    #[serde(rename = "gr\u{f6}\u{df}e")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub grosse: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub r#match: ::std::option::Option<::std::string::String>,
    #[serde(rename = "self")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub self_: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub r#type: ::std::option::Option<::std::string::String>,
    #[serde(rename = "\u{540d}\u{524d}")]
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub field_2: ::std::option::Option<::std::string::String>,
    /// Properties not listed above.
    #[serde(flatten)]
    pub additional_properties_2: ::std::collections::BTreeMap<::std::string::String, i64>,
}

/// Schema `#/components/schemas/NewThing`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct NewThing {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub kind: ::std::option::Option<Kind>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub metadata: ::std::option::Option<::std::collections::BTreeMap<::std::string::String, ::std::string::String>>,
    pub name: ::std::string::String,
}

/// Schema `#/components/schemas/Node`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Node {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub children: ::std::option::Option<::std::vec::Vec<Node>>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub next: ::std::option::Option<::std::boxed::Box<Node>>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub parent: ::std::option::Option<::std::boxed::Box<Parent>>,
    pub value: i64,
}

/// Schema `#/components/schemas/NullOnly`.
pub type NullOnly = ::serde_json::Value;

/// Schema `#/components/schemas/Option`.
pub type OptionModel = ::std::string::String;

/// Schema `#/components/schemas/Parent`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Parent {
    pub child: ::std::boxed::Box<Node>,
}

/// Schema `#/components/schemas/Pet`.
#[derive(Debug, Clone, PartialEq)]
pub enum Pet {
    /// `pet_type` is `cat` or `kitty`.
    Cat(Cat),
    /// `pet_type` is `dog`.
    Dog(::std::boxed::Box<Dog>),
    /// `pet_type` is `Lizard`.
    Lizard(Lizard),
    /// A variant this client does not know (added to the API later).
    Unknown(::serde_json::Value),
}

impl ::serde::Serialize for Pet {
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
        match self {
            Self::Cat(v) => crate::support::serialize_tagged(serializer, "pet_type", "cat", v),
            Self::Dog(v) => crate::support::serialize_tagged(serializer, "pet_type", "dog", v),
            Self::Lizard(v) => crate::support::serialize_tagged(serializer, "pet_type", "Lizard", v),
            Self::Unknown(v) => ::serde::Serialize::serialize(v, serializer),
        }
    }
}

impl<'de> ::serde::Deserialize<'de> for Pet {
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
        let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
        let tag = value.get("pet_type").and_then(::serde_json::Value::as_str).map(::std::borrow::ToOwned::to_owned);
        match tag.as_deref() {
            Some("cat") | Some("kitty") => crate::support::from_value::<Cat, D::Error>(value).map(Self::Cat),
            Some("dog") => crate::support::from_value::<Dog, D::Error>(value).map(|v| Self::Dog(::std::boxed::Box::new(v))),
            Some("Lizard") => crate::support::from_value::<Lizard, D::Error>(value).map(Self::Lizard),
            _ => ::std::result::Result::Ok(Self::Unknown(value)),
        }
    }
}

/// Schema `#/components/schemas/Priority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    /// `1`
    Low,
    /// `2`
    Medium,
    /// `3`
    High,
    /// `-1`
    None,
    /// A value this client does not know (added to the API later).
    Unknown(i64),
}

impl Priority {
    /// The value on the wire.
    pub fn value(&self) -> i64 {
        match self {
            Self::Low => 1,
            Self::Medium => 2,
            Self::High => 3,
            Self::None => -1,
            Self::Unknown(v) => *v,
        }
    }
}

impl ::std::fmt::Display for Priority {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        ::std::write!(f, "{}", self.value())
    }
}

impl ::serde::Serialize for Priority {
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.value())
    }
}

impl<'de> ::serde::Deserialize<'de> for Priority {
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
        let value = <i64 as ::serde::Deserialize>::deserialize(deserializer)?;
        ::std::result::Result::Ok(match value {
            1 => Self::Low,
            2 => Self::Medium,
            3 => Self::High,
            -1 => Self::None,
            other => Self::Unknown(other),
        })
    }
}

/// Schema `#/components/schemas/Problem`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Problem {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub detail: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub status: ::std::option::Option<i64>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub title: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub r#type: ::std::option::Option<::std::string::String>,
}

/// Schema `#/components/schemas/Refined`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Refined {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub conclusion: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub extra: ::std::option::Option<i64>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub status: ::std::option::Option<::std::string::String>,
}

/// Schema `#/components/schemas/Result`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct ResultModel {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub ok: ::std::option::Option<bool>,
}

/// Untagged union of primitives and objects.
///
/// Schema `#/components/schemas/Shape`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
#[serde(untagged)]
pub enum Shape {
    String(::std::string::String),
    Integer(i64),
    Circle(Circle),
    Square(ShapeSquare),
    StringList(::std::vec::Vec<::std::string::String>),
}

/// Schema `#/components/schemas/SortOrder`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum SortOrder {
    /// `asc`
    #[serde(rename = "asc")]
    Asc,
    /// `desc`
    #[serde(rename = "desc")]
    Desc,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl SortOrder {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for SortOrder {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Schema `#/components/schemas/String`.
pub type StringModel = i64;

/// A thing. `code` and \[link\] and &lt;tag&gt;.
///
/// Schema `#/components/schemas/Thing`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
pub struct Thing {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub address: ::std::option::Option<ThingAddress>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub anything: ::std::option::Option<::serde_json::Value>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub birthday: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub blob: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub constant: ::std::option::Option<ThingConstant>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub count: ::std::option::Option<i64>,
    pub created_at: ::std::string::String,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub data: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub extra: ::std::option::Option<::serde_json::Map<::std::string::String, ::serde_json::Value>>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub flag: ::std::option::Option<bool>,
    pub id: ::std::string::String,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub labels: ::std::option::Option<::std::collections::BTreeMap<::std::string::String, ::std::string::String>>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub matrix: ::std::option::Option<::std::vec::Vec<::std::vec::Vec<f64>>>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub maybe_count: ::std::option::Option<i64>,
    pub name: ::std::string::String,
    pub note: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub pet: ::std::option::Option<Pet>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub priority: ::std::option::Option<Priority>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub ratio: ::std::option::Option<f64>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub readonly_id: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub shape: ::std::option::Option<Shape>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub small: ::std::option::Option<i32>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub tags: ::std::option::Option<::std::vec::Vec<::std::string::String>>,
}

/// Schema `#/components/schemas/ThingEvent`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
pub struct ThingEvent {
    pub thing: Thing,
    pub r#type: ThingEventType,
}

/// Schema `#/components/schemas/Tree`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
#[serde(transparent)]
pub struct Tree(pub ::std::vec::Vec<Tree>);

/// Schema `#/components/schemas/Weird`.
pub type Weird = ::serde_json::Value;

/// Schema `#/components/schemas/self`.
pub type SelfModel = ::std::string::String;

/// square
///
/// Schema `#/components/schemas/Shape/oneOf/3`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct ShapeSquare {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub side: ::std::option::Option<f64>,
}

/// Schema `#/components/schemas/Thing/properties/address`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct ThingAddress {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub city: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub street: ::std::option::Option<::std::string::String>,
}

/// Schema `#/components/schemas/Thing/properties/constant`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum ThingConstant {
    /// `fixed`
    #[serde(rename = "fixed")]
    Fixed,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl ThingConstant {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Fixed => "fixed",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for ThingConstant {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Schema `#/components/schemas/ThingEvent/properties/type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum ThingEventType {
    /// `thing.updated`
    #[serde(rename = "thing.updated")]
    ThingUpdated,
    /// `thing.deleted`
    #[serde(rename = "thing.deleted")]
    ThingDeleted,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl ThingEventType {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::ThingUpdated => "thing.updated",
            Self::ThingDeleted => "thing.deleted",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for ThingEventType {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Schema `#/paths/~1things/get/parameters/6/schema/anyOf/1`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct ListThingsCreatedVariant2 {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub gt: ::std::option::Option<i64>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub lt: ::std::option::Option<i64>,
}

/// Schema `#/paths/~1things/get/parameters/6/schema`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
#[serde(untagged)]
pub enum ListThingsCreated {
    Integer(i64),
    Object(ListThingsCreatedVariant2),
}

/// Schema `#/paths/~1things/get/parameters/11/content/application~1json/schema`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct ListThingsFilter {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub q: ::std::option::Option<::std::string::String>,
}

/// Schema `#/paths/~1things~1{thing_id}~1export/post/responses/200/content/application~1json/schema`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct ExportThingResponse {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub url: ::std::option::Option<::std::string::String>,
}

