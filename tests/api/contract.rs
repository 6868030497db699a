//! The contract: every response a test receives from an API path is checked against the
//! OpenAPI document the service publishes (status documented, content type, body schema).
//! It runs inside `TestApp::send`, so no test can receive an undocumented answer and the
//! document cannot drift from what the service sends.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

struct Contract {
    doc: Value,
    /// Path templates split on `/`, with the template as written in the document.
    templates: Vec<(Vec<String>, String)>,
    /// Compiled validators by (template, method, status key, content type).
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

fn contract() -> &'static Contract {
    static C: OnceLock<Contract> = OnceLock::new();
    C.get_or_init(|| {
        let doc = serde_json::to_value(tracing_backend::api::api_doc()).expect("document");
        let templates = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(|t| (t.split('/').map(str::to_string).collect(), t.clone()))
            .collect();
        Contract {
            doc,
            templates,
            validators: Mutex::new(HashMap::new()),
        }
    })
}

/// The document's template for a request path: literal segments beat `{parameters}`.
fn template_of(path: &str) -> Option<String> {
    let segs: Vec<&str> = path.split('/').collect();
    contract()
        .templates
        .iter()
        .filter(|(t, _)| t.len() == segs.len())
        .filter(|(t, _)| {
            t.iter()
                .zip(&segs)
                .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
        })
        .max_by_key(|(t, _)| t.iter().filter(|s| !s.starts_with('{')).count())
        .map(|(_, name)| name.clone())
}

/// Check one response; panics with what differs from the document.
pub fn check(method: &str, uri: &str, status: u16, content_type: &str, body: &[u8]) {
    let path = uri.split('?').next().unwrap_or(uri);
    if !path.starts_with("/api/") {
        return; // health, metrics, the document itself and the chain page are not in it
    }
    let Some(template) = template_of(path) else {
        // an unknown path answers the problem of a missing resource
        assert!(
            status == 404 || status == 405,
            "{method} {uri}: {status} for a path the document does not have"
        );
        return;
    };
    let c = contract();
    let op = &c.doc["paths"][&template][method.to_ascii_lowercase()];
    if op.is_null() {
        assert_eq!(
            status, 405,
            "{method} {uri}: {status} for a method the document does not have"
        );
        return;
    }
    let responses = &op["responses"];
    let range = format!("{}XX", status / 100);
    let key = [status.to_string(), range, "default".to_string()]
        .into_iter()
        .find(|k| !responses[k].is_null())
        .unwrap_or_else(|| {
            panic!(
                "{method} {template}: status {status} is not documented; body: {}",
                String::from_utf8_lossy(body)
            )
        });
    let content = &responses[&key]["content"];
    let media = content_type.split(';').next().unwrap_or("").trim();
    if content.is_null() {
        assert!(
            body.is_empty(),
            "{method} {template} {status}: the document promises no body, got {media}"
        );
        return;
    }
    let Some(schema) = content.get(media).map(|m| &m["schema"]) else {
        panic!(
            "{method} {template} {status}: content type {media:?} is not one of {:?}",
            content.as_object().map(|o| o.keys().collect::<Vec<_>>())
        );
    };
    if !media.ends_with("json") || schema.is_null() {
        return;
    }
    let instance: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{method} {template} {status}: the body is not JSON: {e}"));
    let id = format!("{template} {method} {key} {media}");
    let validator = {
        let mut cache = c.validators.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(id)
            .or_insert_with(|| {
                let mut root = schema.clone();
                if let Some(o) = root.as_object_mut() {
                    o.insert("components".into(), c.doc["components"].clone());
                }
                std::sync::Arc::new(
                    jsonschema::draft202012::options()
                        .should_validate_formats(true)
                        .build(&root)
                        .unwrap_or_else(|e| panic!("{template}: the schema does not compile: {e}")),
                )
            })
            .clone()
    };
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {status}: the body does not match the document:\n  {}\nbody: {}",
        errors.join("\n  "),
        String::from_utf8_lossy(body)
            .chars()
            .take(2000)
            .collect::<String>()
    );
}
