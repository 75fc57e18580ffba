//! Where an Arazzo workflow comes from — a file, or document text with the
//! OpenAPI texts of its source descriptions — and [`compile`]: load, check,
//! compile, each failure an [`ArazzoError`] naming its JSON pointer.

use std::collections::BTreeMap;
use std::path::Path;

use oncely::arazzo::load::parse_text;
use oncely::arazzo::{
    check, load_file, load_str, load_value, ArazzoWorkflow, CompileOptions, Document, Severity,
    Sources,
};

use super::error::ArazzoError;

/// An Arazzo document and the descriptions its steps call.
#[derive(Debug, Clone, Copy)]
pub enum WorkflowSource<'a> {
    /// An Arazzo file; its local source descriptions are read relative to it.
    Path(&'a Path),
    /// Arazzo text, named `name` in messages, with the text (JSON or YAML)
    /// of every source description by its `name`.
    Text {
        /// The Arazzo document.
        document: &'a str,
        /// What messages call it.
        name: &'a str,
        /// Source description name → OpenAPI (or Arazzo) text.
        sources: &'a BTreeMap<String, String>,
    },
}

impl WorkflowSource<'_> {
    /// The document's name in messages.
    pub fn name(&self) -> String {
        match self {
            WorkflowSource::Path(path) => path.display().to_string(),
            WorkflowSource::Text { name, .. } => (*name).to_owned(),
        }
    }

    /// Loads the document and its source descriptions.
    fn load(&self) -> Result<(Document, Sources), ArazzoError> {
        match self {
            WorkflowSource::Path(path) => {
                let document = load_file(path)?;
                let (sources, errors) = Sources::load(&document, path);
                if !errors.is_empty() {
                    let problems = errors
                        .iter()
                        .map(|e| format!("{}: {e}", source_pointer(&document, &e.name)))
                        .collect();
                    return Err(ArazzoError::Sources {
                        document: self.name(),
                        problems,
                    });
                }
                Ok((document, sources))
            }
            WorkflowSource::Text {
                document,
                name,
                sources: texts,
            } => {
                let document = load_str(document, name)?;
                let sources = text_sources(&document, name, texts)?;
                Ok((document, sources))
            }
        }
    }
}

/// `#/sourceDescriptions/N`, the source description called `name`.
fn source_pointer(document: &Document, name: &str) -> String {
    document
        .source_descriptions
        .iter()
        .position(|s| s.name == name)
        .map_or_else(
            || "#/sourceDescriptions".to_owned(),
            |index| format!("#/sourceDescriptions/{index}"),
        )
}

/// The sources of a document given as text: every source description needs
/// a text, and every text a source description.
fn text_sources(
    document: &Document,
    name: &str,
    texts: &BTreeMap<String, String>,
) -> Result<Sources, ArazzoError> {
    let mut problems = Vec::new();
    let mut sources = Sources::new();
    for (index, description) in document.source_descriptions.iter().enumerate() {
        let at = format!("#/sourceDescriptions/{index}");
        let Some(text) = texts.get(&description.name) else {
            problems.push(format!(
                "{at}: no text was given for source description {:?}",
                description.name
            ));
            continue;
        };
        let source_name = format!("source description {:?}", description.name);
        let value = parse_text(text, &source_name)?;
        if value.get("arazzo").is_some() {
            sources.insert_arazzo(&description.name, load_value(value, &source_name)?);
        } else {
            sources.insert_openapi(&description.name, value);
        }
    }
    for given in texts.keys() {
        if !document
            .source_descriptions
            .iter()
            .any(|s| &s.name == given)
        {
            problems.push(format!(
                "#/sourceDescriptions: a text was given for {given:?}, which names no source description"
            ));
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(ArazzoError::Sources {
            document: name.to_owned(),
            problems,
        })
    }
}

/// Loads `source`, checks it (any error finding fails, listing them all) and
/// compiles its workflow `workflow_id`. `servers` maps source description
/// names to base URLs; a source without one uses the engine client's base
/// URL.
pub fn compile(
    source: WorkflowSource<'_>,
    workflow_id: &str,
    servers: &BTreeMap<String, String>,
) -> Result<ArazzoWorkflow, ArazzoError> {
    let (document, sources) = source.load()?;
    let findings: Vec<_> = check(&document, &sources)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if !findings.is_empty() {
        return Err(ArazzoError::Findings {
            document: source.name(),
            findings,
        });
    }
    let plan = |error| ArazzoError::Plan {
        document: source.name(),
        error,
    };
    let options = CompileOptions {
        servers: servers.clone(),
    };
    ArazzoWorkflow::compile_with(&document, &sources, workflow_id, &options).map_err(plan)
}
