//! The export responses, `Export*ServiceResponse` with its `Export*PartialSuccess`: the same
//! shape for every signal but for the name of the rejected-items count, so one macro writes the
//! codec for each signal.

/// Generates the JSON reader and writer of a signal's response and partial success.
/// `$rejected` is the proto field holding the rejected count, with its JSON spellings.
macro_rules! export_response_json {
    ($response:ident, $partial:ident,
     $rejected:ident: $Variant:ident = $camel:literal | $snake:literal) => {
        $crate::json::read::json_fields!(ResponseField {
            PartialSuccess = "partialSuccess" | "partial_success"
        });

        impl $crate::json::read::ReadMessage for $response {
            const EXPECTING: &'static str = concat!("an ", stringify!($response), " object");
            type Field = ResponseField;

            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                field: ResponseField,
                map: &mut A,
                ctx: &mut $crate::json::read::Ctx,
            ) -> Result<(), A::Error> {
                match field {
                    ResponseField::PartialSuccess => {
                        self.partial_success = $crate::json::read::optional_message(map, ctx)?;
                    }
                }
                Ok(())
            }
        }

        impl $crate::json::write::WriteJson for $response {
            fn write_json(&self, out: &mut Vec<u8>) {
                let mut o = $crate::json::write::Obj::new(out);
                o.message("partialSuccess", self.partial_success.as_ref());
                o.end();
            }
        }

        $crate::json::read::json_fields!(PartialSuccessField {
            $Variant = $camel | $snake,
            ErrorMessage = "errorMessage" | "error_message",
        });

        impl $crate::json::read::ReadMessage for $partial {
            const EXPECTING: &'static str = concat!("an ", stringify!($partial), " object");
            type Field = PartialSuccessField;

            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                field: PartialSuccessField,
                map: &mut A,
                _ctx: &mut $crate::json::read::Ctx,
            ) -> Result<(), A::Error> {
                match field {
                    PartialSuccessField::$Variant => {
                        self.$rejected = map.next_value_seed($crate::json::scalar::I64)?;
                    }
                    PartialSuccessField::ErrorMessage => {
                        self.error_message = map.next_value_seed($crate::json::scalar::Str)?;
                    }
                }
                Ok(())
            }
        }

        impl $crate::json::write::WriteJson for $partial {
            fn write_json(&self, out: &mut Vec<u8>) {
                let mut o = $crate::json::write::Obj::new(out);
                o.i64($camel, self.$rejected);
                o.str("errorMessage", &self.error_message);
                o.end();
            }
        }
    };
}
pub(crate) use export_response_json;
