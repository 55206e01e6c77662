//! `google.rpc.Status`, the body of an OTLP/HTTP error response.
//!
//! Go's receiver writes it with `protojson`: `code` as a number, `message`, and `details` as
//! `Any`s expanded by their registered type. We have no type registry, so a detail is written as
//! `{"@type": <type URL>, "value": <base64 of the packed message>}` (what protojson itself does
//! for wrapper-like types) and read back the same way; on reading, other fields of an expanded detail are
//! skipped and a `value` that is not base64 is dropped.

use serde::de::{MapAccess, Visitor as _};

use super::read::{self, Ctx, ReadMessage, json_fields};
use super::scalar::{Base64, I32, Str};
use super::write::{Obj, WriteJson, write_base64, write_str};
use crate::proto::rpc::Status;

json_fields!(StatusField {
    Code = "code",
    Message = "message",
    Details = "details",
});

impl ReadMessage for Status {
    const EXPECTING: &'static str = "a google.rpc.Status object";
    type Field = StatusField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: StatusField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            StatusField::Code => self.code = map.next_value_seed(I32)?,
            StatusField::Message => self.message = map.next_value_seed(Str)?,
            StatusField::Details => read::repeated(map, ctx, &mut self.details)?,
        }
        Ok(())
    }
}

impl WriteJson for Status {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.i32("code", self.code);
        o.str("message", &self.message);
        o.messages("details", &self.details);
        o.end();
    }
}

json_fields!(AnyField {
    TypeUrl = "@type",
    Value = "value",
});

impl ReadMessage for prost_types::Any {
    const EXPECTING: &'static str = "a google.protobuf.Any object";
    type Field = AnyField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: AnyField,
        map: &mut A,
        _ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            AnyField::TypeUrl => self.type_url = map.next_value_seed(Str)?,
            // Not on a hot path: a small tree lets a detail expanded by protojson (whose
            // `value` may be any JSON) be tolerated instead of failing the whole status.
            AnyField::Value => {
                if let serde_json::Value::String(s) = map.next_value::<serde_json::Value>()? {
                    self.value = Base64
                        .visit_str::<serde_json::Error>(&s)
                        .map(Into::into)
                        .unwrap_or_default();
                }
            }
        }
        Ok(())
    }
}

impl WriteJson for prost_types::Any {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        write_str(o.key("@type"), &self.type_url);
        if !self.value.is_empty() {
            write_base64(o.key("value"), &self.value);
        }
        o.end();
    }
}
