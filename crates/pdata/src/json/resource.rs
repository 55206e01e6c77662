//! `Resource`, its `EntityRef`s and `InstrumentationScope`: the context around every signal.

use serde::de::MapAccess;

use super::read::{self, Ctx, ReadMessage, json_fields};
use super::scalar::{Str, U32};
use super::write::{Obj, WriteJson};
use crate::proto::common::v1::{EntityRef, InstrumentationScope};
use crate::proto::resource::v1::Resource;

json_fields!(ResourceField {
    Attributes = "attributes",
    DroppedAttributesCount = "droppedAttributesCount" | "dropped_attributes_count",
    EntityRefs = "entityRefs" | "entity_refs",
});

impl ReadMessage for Resource {
    const EXPECTING: &'static str = "a Resource object";
    type Field = ResourceField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: ResourceField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            ResourceField::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            ResourceField::DroppedAttributesCount => {
                self.dropped_attributes_count = map.next_value_seed(U32)?;
            }
            ResourceField::EntityRefs => read::repeated(map, ctx, &mut self.entity_refs)?,
        }
        Ok(())
    }
}

impl WriteJson for Resource {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.messages("attributes", &self.attributes);
        o.u32("droppedAttributesCount", self.dropped_attributes_count);
        o.messages("entityRefs", &self.entity_refs);
        o.end();
    }
}

json_fields!(EntityRefField {
    SchemaUrl = "schemaUrl" | "schema_url",
    Type = "type",
    IdKeys = "idKeys" | "id_keys",
    DescriptionKeys = "descriptionKeys" | "description_keys",
});

impl ReadMessage for EntityRef {
    const EXPECTING: &'static str = "an EntityRef object";
    type Field = EntityRefField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: EntityRefField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            EntityRefField::SchemaUrl => self.schema_url = map.next_value_seed(Str)?,
            EntityRefField::Type => self.r#type = map.next_value_seed(Str)?,
            EntityRefField::IdKeys => read::repeated_scalar(map, ctx, &mut self.id_keys, Str)?,
            EntityRefField::DescriptionKeys => {
                read::repeated_scalar(map, ctx, &mut self.description_keys, Str)?;
            }
        }
        Ok(())
    }
}

impl WriteJson for EntityRef {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.str("schemaUrl", &self.schema_url);
        o.str("type", &self.r#type);
        o.strs("idKeys", &self.id_keys);
        o.strs("descriptionKeys", &self.description_keys);
        o.end();
    }
}

json_fields!(ScopeField {
    Name = "name",
    Version = "version",
    Attributes = "attributes",
    DroppedAttributesCount = "droppedAttributesCount" | "dropped_attributes_count",
});

impl ReadMessage for InstrumentationScope {
    const EXPECTING: &'static str = "an InstrumentationScope object";
    type Field = ScopeField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: ScopeField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            ScopeField::Name => self.name = map.next_value_seed(Str)?,
            ScopeField::Version => self.version = map.next_value_seed(Str)?,
            ScopeField::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            ScopeField::DroppedAttributesCount => {
                self.dropped_attributes_count = map.next_value_seed(U32)?;
            }
        }
        Ok(())
    }
}

impl WriteJson for InstrumentationScope {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.str("name", &self.name);
        o.str("version", &self.version);
        o.messages("attributes", &self.attributes);
        o.u32("droppedAttributesCount", self.dropped_attributes_count);
        o.end();
    }
}
