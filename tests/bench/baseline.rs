//! Benchmark baseline: a plain poem handler serving fixed bytes from memory.
//!
//! `bench_baseline ADDR FILE`: every GET answers FILE's bytes as JSON.

use poem::endpoint::make_sync;
use poem::listener::TcpListener;
use poem::{Response, Route, Server};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18090".into());
    let file = args.next().unwrap_or_else(|| "body.json".into());
    let body = bytes::Bytes::from(std::fs::read(&file)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = Route::new().at(
            "/*path",
            make_sync(move |_| {
                Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .body(body.clone())
            }),
        );
        Server::new(TcpListener::bind(addr)).run(app).await
    })
}
