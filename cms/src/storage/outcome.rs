//! Per-statement results of one query, with SurrealDB's error texts classified.

use std::collections::HashMap;

/// Why one statement failed.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementError {
    /// An optimistic write conflict: the whole transaction may be retried.
    Retryable(String),
    /// A unique index refused a value (final).
    Unique {
        index: String,
        message: String,
    },
    /// A `THROW` of ours: the text after `THROW`.
    Thrown(String),
    /// The statement did not run because another one in its transaction failed.
    NotExecuted,
    Other(String),
}

impl StatementError {
    fn classify(message: String) -> StatementError {
        if message.contains("can be retried") {
            StatementError::Retryable(message)
        } else if message.contains("not executed due to a failed transaction")
            || message.contains("cancelled transaction")
        {
            StatementError::NotExecuted
        } else if let Some(index) = unique_index_name(&message) {
            StatementError::Unique { index, message }
        } else if let Some(pos) = message.find("cms:") {
            let thrown = message[pos..].trim_end_matches(['\'', '"', '`']).to_owned();
            StatementError::Thrown(thrown)
        } else {
            StatementError::Other(message)
        }
    }
}

fn unique_index_name(message: &str) -> Option<String> {
    let rest = message.split("index `").nth(1)?;
    if !message.contains("already contains") {
        return None;
    }
    Some(rest.split('`').next()?.to_owned())
}

/// One query's statements, in order.
#[derive(Debug)]
pub struct Outcome {
    results: Vec<Result<serde_json::Value, StatementError>>,
}

impl Outcome {
    pub(super) fn from_response(mut response: surrealdb::IndexedResults) -> Outcome {
        let count = response.num_statements();
        let mut errors: HashMap<usize, surrealdb::Error> = response.take_errors();
        let mut results = Vec::with_capacity(count);
        for i in 0..count {
            if let Some(error) = errors.remove(&i) {
                results.push(Err(StatementError::classify(error.to_string())));
            } else {
                let value = response
                    .take::<surrealdb::types::Value>(i)
                    .map(|v| v.into_json_value())
                    .map_err(|e| StatementError::classify(e.to_string()));
                results.push(value);
            }
        }
        Outcome { results }
    }

    /// The most telling error: a root cause rather than "not executed".
    pub fn first_error(&self) -> Option<&StatementError> {
        let mut fallback = None;
        for result in &self.results {
            if let Err(e) = result {
                if *e != StatementError::NotExecuted {
                    return Some(e);
                }
                fallback = Some(e);
            }
        }
        fallback
    }

    /// Take statement `i`'s value (an array for SELECT), or its error.
    pub fn take(&mut self, i: usize) -> Result<serde_json::Value, StatementError> {
        match self.results.get_mut(i) {
            Some(slot) => std::mem::replace(slot, Ok(serde_json::Value::Null)),
            None => Err(StatementError::Other(format!("no statement {i}"))),
        }
    }

    /// Take statement `i` as rows (an array; a single value becomes one row; NONE/null none).
    pub fn rows(&mut self, i: usize) -> Result<Vec<serde_json::Value>, StatementError> {
        Ok(match self.take(i)? {
            serde_json::Value::Array(rows) => rows,
            serde_json::Value::Null => Vec::new(),
            other => vec![other],
        })
    }

    pub fn len(&self) -> usize {
        self.results.len()
    }

    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified() {
        assert!(matches!(
            StatementError::classify(
                "Transaction conflict: This transaction can be retried".into()
            ),
            StatementError::Retryable(_)
        ));
        assert_eq!(
            StatementError::classify(
                "Database index `working_slug` already contains ['page', 'csn', 'en', 'home'], with record `working:x`".into()
            ),
            StatementError::Unique {
                index: "working_slug".into(),
                message: "Database index `working_slug` already contains ['page', 'csn', 'en', 'home'], with record `working:x`".into()
            }
        );
        assert_eq!(
            StatementError::classify("An error occurred: cms:stale:01ABC".into()),
            StatementError::Thrown("cms:stale:01ABC".into())
        );
        assert_eq!(
            StatementError::classify(
                "The query was not executed due to a failed transaction".into()
            ),
            StatementError::NotExecuted
        );
    }
}
