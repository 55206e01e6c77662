//! `otlp_grpc` and `otlp_http` end to end against strict in-test backends on 127.0.0.1.

mod grpc;
mod http;
mod support;
