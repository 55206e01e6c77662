//! The three envelope messages every signal wraps its items in: the export request (a list of
//! resources), `Resource*` (resource, scopes, schema URL) and `Scope*` (scope, items, schema
//! URL). They have the same shape for every signal, so one macro writes their codec.

/// Generates the JSON reader and writer of a signal's request, resource and scope envelopes.
/// Each level names its message type, the proto field of its list and that field's JSON
/// spellings (camelCase first).
macro_rules! envelope_json {
    (
        $Request:ident { $resources:ident: $ResVariant:ident = $res_camel:literal | $res_snake:literal },
        $Resource:ident { $scopes:ident: $ScopeVariant:ident = $scope_camel:literal | $scope_snake:literal },
        $Scope:ident { $items:ident: $ItemVariant:ident = $item_camel:literal $(| $item_alt:literal)? }
    ) => {
        $crate::json::read::json_fields!(RequestField { $ResVariant = $res_camel | $res_snake });

        impl $crate::json::read::ReadMessage for $Request {
            const EXPECTING: &'static str = concat!("an ", stringify!($Request), " object");
            type Field = RequestField;

            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                field: RequestField,
                map: &mut A,
                ctx: &mut $crate::json::read::Ctx,
            ) -> Result<(), A::Error> {
                match field {
                    RequestField::$ResVariant => {
                        $crate::json::read::repeated(map, ctx, &mut self.$resources)
                    }
                }
            }
        }

        impl $crate::json::write::WriteJson for $Request {
            fn write_json(&self, out: &mut Vec<u8>) {
                let mut o = $crate::json::write::Obj::new(out);
                o.messages($res_camel, &self.$resources);
                o.end();
            }
        }

        $crate::json::read::json_fields!(ResourceField {
            Resource = "resource",
            $ScopeVariant = $scope_camel | $scope_snake,
            SchemaUrl = "schemaUrl" | "schema_url",
        });

        impl $crate::json::read::ReadMessage for $Resource {
            const EXPECTING: &'static str = concat!("a ", stringify!($Resource), " object");
            type Field = ResourceField;

            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                field: ResourceField,
                map: &mut A,
                ctx: &mut $crate::json::read::Ctx,
            ) -> Result<(), A::Error> {
                match field {
                    ResourceField::Resource => {
                        self.resource = $crate::json::read::optional_message(map, ctx)?;
                    }
                    ResourceField::$ScopeVariant => {
                        $crate::json::read::repeated(map, ctx, &mut self.$scopes)?;
                    }
                    ResourceField::SchemaUrl => {
                        self.schema_url = map.next_value_seed($crate::json::scalar::Str)?;
                    }
                }
                Ok(())
            }
        }

        impl $crate::json::write::WriteJson for $Resource {
            fn write_json(&self, out: &mut Vec<u8>) {
                let mut o = $crate::json::write::Obj::new(out);
                o.message("resource", self.resource.as_ref());
                o.messages($scope_camel, &self.$scopes);
                o.str("schemaUrl", &self.schema_url);
                o.end();
            }
        }

        $crate::json::read::json_fields!(ScopeField {
            Scope = "scope",
            $ItemVariant = $item_camel $(| $item_alt)?,
            SchemaUrl = "schemaUrl" | "schema_url",
        });

        impl $crate::json::read::ReadMessage for $Scope {
            const EXPECTING: &'static str = concat!("a ", stringify!($Scope), " object");
            type Field = ScopeField;

            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                field: ScopeField,
                map: &mut A,
                ctx: &mut $crate::json::read::Ctx,
            ) -> Result<(), A::Error> {
                match field {
                    ScopeField::Scope => {
                        self.scope = $crate::json::read::optional_message(map, ctx)?;
                    }
                    ScopeField::$ItemVariant => {
                        $crate::json::read::repeated(map, ctx, &mut self.$items)?;
                    }
                    ScopeField::SchemaUrl => {
                        self.schema_url = map.next_value_seed($crate::json::scalar::Str)?;
                    }
                }
                Ok(())
            }
        }

        impl $crate::json::write::WriteJson for $Scope {
            fn write_json(&self, out: &mut Vec<u8>) {
                let mut o = $crate::json::write::Obj::new(out);
                o.message("scope", self.scope.as_ref());
                o.messages($item_camel, &self.$items);
                o.str("schemaUrl", &self.schema_url);
                o.end();
            }
        }
    };
}
pub(crate) use envelope_json;
