mod appender;
mod config;
mod convert;
