//! Traces: `ExportTraceServiceRequest` down to spans, events, links and span status, and the
//! export response with its partial success.

use serde::de::MapAccess;

use super::read::{self, Ctx, ReadMessage, json_fields};
use super::scalar::{Enum, HexId, Str, U32, U64};
use super::write::{Obj, WriteJson};
use crate::proto::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use crate::proto::trace::v1::span::{Event, Link, SpanKind};
use crate::proto::trace::v1::status::StatusCode;
use crate::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

const SPAN_KIND: Enum = Enum {
    name: "SpanKind",
    from_name: |s| SpanKind::from_str_name(s).map(|k| k as i32),
};
const STATUS_CODE: Enum = Enum {
    name: "StatusCode",
    from_name: |s| StatusCode::from_str_name(s).map(|k| k as i32),
};

super::envelope::envelope_json!(
    ExportTraceServiceRequest {
        resource_spans: ResourceSpans = "resourceSpans" | "resource_spans"
    },
    ResourceSpans {
        scope_spans: ScopeSpans = "scopeSpans" | "scope_spans"
    },
    ScopeSpans {
        spans: Spans = "spans"
    }
);

json_fields!(SpanField {
    TraceId = "traceId" | "trace_id",
    SpanId = "spanId" | "span_id",
    TraceState = "traceState" | "trace_state",
    ParentSpanId = "parentSpanId" | "parent_span_id",
    Flags = "flags",
    Name = "name",
    Kind = "kind",
    StartTimeUnixNano = "startTimeUnixNano" | "start_time_unix_nano",
    EndTimeUnixNano = "endTimeUnixNano" | "end_time_unix_nano",
    Attributes = "attributes",
    DroppedAttributesCount = "droppedAttributesCount" | "dropped_attributes_count",
    Events = "events",
    DroppedEventsCount = "droppedEventsCount" | "dropped_events_count",
    Links = "links",
    DroppedLinksCount = "droppedLinksCount" | "dropped_links_count",
    Status = "status",
});

impl ReadMessage for Span {
    const EXPECTING: &'static str = "a Span object";
    type Field = SpanField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: SpanField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            SpanField::TraceId => self.trace_id = map.next_value_seed(HexId::<16>)?,
            SpanField::SpanId => self.span_id = map.next_value_seed(HexId::<8>)?,
            SpanField::TraceState => self.trace_state = map.next_value_seed(Str)?,
            SpanField::ParentSpanId => self.parent_span_id = map.next_value_seed(HexId::<8>)?,
            SpanField::Flags => self.flags = map.next_value_seed(U32)?,
            SpanField::Name => self.name = map.next_value_seed(Str)?,
            SpanField::Kind => self.kind = map.next_value_seed(SPAN_KIND)?,
            SpanField::StartTimeUnixNano => self.start_time_unix_nano = map.next_value_seed(U64)?,
            SpanField::EndTimeUnixNano => self.end_time_unix_nano = map.next_value_seed(U64)?,
            SpanField::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            SpanField::DroppedAttributesCount => {
                self.dropped_attributes_count = map.next_value_seed(U32)?;
            }
            SpanField::Events => read::repeated(map, ctx, &mut self.events)?,
            SpanField::DroppedEventsCount => {
                self.dropped_events_count = map.next_value_seed(U32)?
            }
            SpanField::Links => read::repeated(map, ctx, &mut self.links)?,
            SpanField::DroppedLinksCount => self.dropped_links_count = map.next_value_seed(U32)?,
            SpanField::Status => self.status = read::optional_message(map, ctx)?,
        }
        Ok(())
    }
}

impl WriteJson for Span {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.id("traceId", &self.trace_id);
        o.id("spanId", &self.span_id);
        o.str("traceState", &self.trace_state);
        o.id("parentSpanId", &self.parent_span_id);
        o.u32("flags", self.flags);
        o.str("name", &self.name);
        o.i32("kind", self.kind);
        o.u64("startTimeUnixNano", self.start_time_unix_nano);
        o.u64("endTimeUnixNano", self.end_time_unix_nano);
        o.messages("attributes", &self.attributes);
        o.u32("droppedAttributesCount", self.dropped_attributes_count);
        o.messages("events", &self.events);
        o.u32("droppedEventsCount", self.dropped_events_count);
        o.messages("links", &self.links);
        o.u32("droppedLinksCount", self.dropped_links_count);
        o.message("status", self.status.as_ref());
        o.end();
    }
}

json_fields!(EventField {
    TimeUnixNano = "timeUnixNano" | "time_unix_nano",
    Name = "name",
    Attributes = "attributes",
    DroppedAttributesCount = "droppedAttributesCount" | "dropped_attributes_count",
});

impl ReadMessage for Event {
    const EXPECTING: &'static str = "a Span.Event object";
    type Field = EventField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: EventField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            EventField::TimeUnixNano => self.time_unix_nano = map.next_value_seed(U64)?,
            EventField::Name => self.name = map.next_value_seed(Str)?,
            EventField::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            EventField::DroppedAttributesCount => {
                self.dropped_attributes_count = map.next_value_seed(U32)?;
            }
        }
        Ok(())
    }
}

impl WriteJson for Event {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.u64("timeUnixNano", self.time_unix_nano);
        o.str("name", &self.name);
        o.messages("attributes", &self.attributes);
        o.u32("droppedAttributesCount", self.dropped_attributes_count);
        o.end();
    }
}

json_fields!(LinkField {
    TraceId = "traceId" | "trace_id",
    SpanId = "spanId" | "span_id",
    TraceState = "traceState" | "trace_state",
    Attributes = "attributes",
    DroppedAttributesCount = "droppedAttributesCount" | "dropped_attributes_count",
    Flags = "flags",
});

impl ReadMessage for Link {
    const EXPECTING: &'static str = "a Span.Link object";
    type Field = LinkField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: LinkField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            LinkField::TraceId => self.trace_id = map.next_value_seed(HexId::<16>)?,
            LinkField::SpanId => self.span_id = map.next_value_seed(HexId::<8>)?,
            LinkField::TraceState => self.trace_state = map.next_value_seed(Str)?,
            LinkField::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            LinkField::DroppedAttributesCount => {
                self.dropped_attributes_count = map.next_value_seed(U32)?;
            }
            LinkField::Flags => self.flags = map.next_value_seed(U32)?,
        }
        Ok(())
    }
}

impl WriteJson for Link {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.id("traceId", &self.trace_id);
        o.id("spanId", &self.span_id);
        o.str("traceState", &self.trace_state);
        o.messages("attributes", &self.attributes);
        o.u32("droppedAttributesCount", self.dropped_attributes_count);
        o.u32("flags", self.flags);
        o.end();
    }
}

json_fields!(StatusField {
    Message = "message",
    Code = "code",
});

impl ReadMessage for Status {
    const EXPECTING: &'static str = "a Status object";
    type Field = StatusField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: StatusField,
        map: &mut A,
        _ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            StatusField::Message => self.message = map.next_value_seed(Str)?,
            StatusField::Code => self.code = map.next_value_seed(STATUS_CODE)?,
        }
        Ok(())
    }
}

impl WriteJson for Status {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.str("message", &self.message);
        o.i32("code", self.code);
        o.end();
    }
}

super::response::export_response_json!(ExportTraceServiceResponse, ExportTracePartialSuccess, rejected_spans: RejectedSpans = "rejectedSpans" | "rejected_spans");
