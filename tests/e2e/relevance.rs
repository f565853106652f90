//! Search relevance: nDCG@10 of the judged query set (`tests/relevance/judgments.json`, graded
//! from the demo content's text by `tests/relevance/judge.py`, independently of the engine)
//! over the demo content; reported per query, asserted >= 0.9 overall.

use serde_json::Value;

use crate::harness::TestApp;

const JUDGMENTS: &str = include_str!("../relevance/judgments.json");

/// nDCG@10 of the ids returned, given the grades of the judged documents.
fn ndcg_at_10(returned: &[String], grades: &serde_json::Map<String, Value>) -> f64 {
    let gain = |g: u64| (2f64.powi(g as i32)) - 1.0;
    let discount = |i: usize| (i as f64 + 2.0).log2();
    let dcg: f64 = returned
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, id)| {
            gain(
                grades
                    .get(id)
                    .and_then(|g| g["grade"].as_u64())
                    .unwrap_or(0),
            ) / discount(i)
        })
        .sum();
    let mut ideal: Vec<u64> = grades
        .values()
        .filter_map(|g| g["grade"].as_u64())
        .collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| gain(*g) / discount(i))
        .sum();
    if idcg == 0.0 {
        // Nothing is relevant: perfect when nothing is returned.
        if returned.is_empty() { 1.0 } else { 0.0 }
    } else {
        dcg / idcg
    }
}

#[test]
fn ndcg_is_one_for_the_ideal_order_and_drops_for_a_worse_one() {
    let grades: serde_json::Map<String, Value> =
        serde_json::from_str(r#"{"a": {"grade": 3}, "b": {"grade": 1}}"#).unwrap();
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!((ndcg_at_10(&ids(&["a", "b"]), &grades) - 1.0).abs() < 1e-9);
    assert!(ndcg_at_10(&ids(&["b", "a"]), &grades) < 0.8);
    assert_eq!(ndcg_at_10(&ids(&["x"]), &grades), 0.0);
}

#[tokio::test]
async fn judged_queries_reach_ndcg_at_10_of_0_9() {
    let app = TestApp::spawn_with("[demo]\nload_on_empty = true\n").await;
    app.app.search.catch_up().await.unwrap();
    let member = app.user_session("reader@example.org", "member").await;
    let judged: Value = serde_json::from_str(JUDGMENTS).unwrap();
    let queries = judged["queries"].as_array().unwrap();
    assert!(queries.len() >= 30);
    let mut report = Vec::new();
    let mut total = 0.0;
    for q in queries {
        let mut req = app.get(&format!(
            "/api/v1/search?{}&limit=10",
            q["query"].as_str().unwrap()
        ));
        if q["reader"] == "member" {
            req = req.bearer_auth(&member);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{}", q["query"]);
        let body: Value = resp.json().await.unwrap();
        let returned: Vec<String> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect();
        let grades = q["relevant"].as_object().unwrap();
        let score = ndcg_at_10(&returned, grades);
        total += score;
        report.push(format!(
            "{:<34} {score:.3}  ({} judged relevant, {} returned)",
            q["id"].as_str().unwrap(),
            grades.len(),
            body["meta"]["total"]
        ));
    }
    let mean = total / queries.len() as f64;
    let table = report.join("\n");
    println!("nDCG@10 per query:\n{table}\nmean {mean:.3}");
    assert!(mean >= 0.9, "mean nDCG@10 {mean:.3} < 0.9:\n{table}");
}
