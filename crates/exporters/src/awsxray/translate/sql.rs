//! The `sql` block (upstream `sql.go makeSQL`), for SQL database systems only.

use aws::xray::SqlData;
use pdata::proto::trace::v1::Span;

use super::values::{Attrs, str_of};

const SQL_SYSTEMS: [&str; 11] = [
    "db2",
    "derby",
    "hive",
    "mariadb",
    "mssql",
    "mysql",
    "oracle",
    "postgresql",
    "sqlite",
    "teradata",
    "other_sql",
];

/// Builds the block and, when it is built, removes the `db.*` attributes it used.
pub fn make_sql(span: &Span, attrs: &mut Attrs<'_>) -> Option<SqlData> {
    let s = |k| attrs.get(k).map(str_of).unwrap_or("").to_string();
    let system = s("db.system");
    if !SQL_SYSTEMS.contains(&system.as_str()) {
        return None;
    }
    let mut connection = s("db.connection_string");
    let instance = s("db.name");
    let statement = s("db.statement");
    let user = s("db.user");
    for k in [
        "db.connection_string",
        "db.system",
        "db.name",
        "db.statement",
        "db.user",
    ] {
        attrs.remove(k);
    }
    if connection.is_empty() {
        connection = "localhost".to_string();
    }
    let opt = |v: String| (!v.is_empty()).then_some(v);
    Some(SqlData {
        // Upstream puts the span name here: the connection string is not a useful URL.
        url: opt(span.name.clone()),
        connection_string: Some(format!("{connection}/{instance}")),
        database_type: opt(system),
        user: opt(user),
        sanitized_query: opt(statement),
        ..Default::default()
    })
}
