mod appender;
mod config;
mod convert;
mod observer;
mod start_time;
