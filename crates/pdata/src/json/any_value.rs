//! `AnyValue` and its containers (`KeyValue`, `ArrayValue`, `KeyValueList`): attribute values and
//! log bodies.
//!
//! A oneof member is selected by its key even when its value is `null` or the default
//! (`{"stringValue": null}` is the empty string, as in Go); when a document names several members,
//! the last one wins.

use serde::de::MapAccess;

use super::read::{self, Ctx, ReadMessage, json_fields};
use super::scalar::{Base64, Bool, F64, I64, Str};
use super::write::{Obj, WriteJson, write_base64, write_f64, write_quoted_i64, write_str};
use crate::proto::common::v1::any_value::Value;
use crate::proto::common::v1::{AnyValue, ArrayValue, KeyValue, KeyValueList};

json_fields!(AnyValueField {
    StringValue = "stringValue" | "string_value",
    BoolValue = "boolValue" | "bool_value",
    IntValue = "intValue" | "int_value",
    DoubleValue = "doubleValue" | "double_value",
    ArrayValue = "arrayValue" | "array_value",
    KvlistValue = "kvlistValue" | "kvlist_value",
    BytesValue = "bytesValue" | "bytes_value",
});

impl ReadMessage for AnyValue {
    const EXPECTING: &'static str = "an AnyValue object";
    const NESTS: bool = true;
    type Field = AnyValueField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: AnyValueField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        self.value = Some(match field {
            AnyValueField::StringValue => Value::StringValue(map.next_value_seed(Str)?),
            AnyValueField::BoolValue => Value::BoolValue(map.next_value_seed(Bool)?),
            AnyValueField::IntValue => Value::IntValue(map.next_value_seed(I64)?),
            AnyValueField::DoubleValue => Value::DoubleValue(map.next_value_seed(F64)?),
            AnyValueField::ArrayValue => Value::ArrayValue(read::message(map, ctx)?),
            AnyValueField::KvlistValue => Value::KvlistValue(read::message(map, ctx)?),
            AnyValueField::BytesValue => Value::BytesValue(map.next_value_seed(Base64)?),
        });
        Ok(())
    }
}

impl WriteJson for AnyValue {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        match &self.value {
            None => {}
            Some(Value::StringValue(v)) => write_str(o.key("stringValue"), v),
            Some(Value::BoolValue(v)) => {
                let out = o.key("boolValue");
                out.extend_from_slice(if *v { b"true" } else { b"false" });
            }
            Some(Value::IntValue(v)) => write_quoted_i64(o.key("intValue"), *v),
            Some(Value::DoubleValue(v)) => write_f64(o.key("doubleValue"), *v),
            Some(Value::ArrayValue(v)) => v.write_json(o.key("arrayValue")),
            Some(Value::KvlistValue(v)) => v.write_json(o.key("kvlistValue")),
            Some(Value::BytesValue(v)) => write_base64(o.key("bytesValue"), v),
        }
        o.end();
    }
}

json_fields!(ValuesField { Values = "values" });

impl ReadMessage for ArrayValue {
    const EXPECTING: &'static str = "an ArrayValue object";
    type Field = ValuesField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: ValuesField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            ValuesField::Values => read::repeated(map, ctx, &mut self.values),
        }
    }
}

impl WriteJson for ArrayValue {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.messages("values", &self.values);
        o.end();
    }
}

impl ReadMessage for KeyValueList {
    const EXPECTING: &'static str = "a KeyValueList object";
    type Field = ValuesField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: ValuesField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            ValuesField::Values => read::repeated(map, ctx, &mut self.values),
        }
    }
}

impl WriteJson for KeyValueList {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.messages("values", &self.values);
        o.end();
    }
}

json_fields!(KeyValueField {
    Key = "key",
    Value = "value",
});

impl ReadMessage for KeyValue {
    const EXPECTING: &'static str = "a KeyValue object";
    type Field = KeyValueField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: KeyValueField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            KeyValueField::Key => self.key = map.next_value_seed(Str)?,
            KeyValueField::Value => self.value = read::optional_message(map, ctx)?,
        }
        Ok(())
    }
}

impl WriteJson for KeyValue {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.str("key", &self.key);
        o.message("value", self.value.as_ref());
        o.end();
    }
}
