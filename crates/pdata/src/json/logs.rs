//! Logs: `ExportLogsServiceRequest` down to log records (events included: `eventName`), and the
//! export response.

use serde::de::MapAccess;

use super::read::{self, Ctx, ReadMessage, json_fields};
use super::scalar::{Enum, HexId, Str, U32, U64};
use super::write::{Obj, WriteJson};
use crate::proto::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use crate::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};

const SEVERITY_NUMBER: Enum = Enum {
    name: "SeverityNumber",
    from_name: |s| SeverityNumber::from_str_name(s).map(|n| n as i32),
};

super::envelope::envelope_json!(
    ExportLogsServiceRequest {
        resource_logs: ResourceLogs = "resourceLogs" | "resource_logs"
    },
    ResourceLogs {
        scope_logs: ScopeLogs = "scopeLogs" | "scope_logs"
    },
    ScopeLogs {
        log_records: LogRecords = "logRecords" | "log_records"
    }
);

json_fields!(LogRecordField {
    TimeUnixNano = "timeUnixNano" | "time_unix_nano",
    ObservedTimeUnixNano = "observedTimeUnixNano" | "observed_time_unix_nano",
    SeverityNumber = "severityNumber" | "severity_number",
    SeverityText = "severityText" | "severity_text",
    Body = "body",
    Attributes = "attributes",
    DroppedAttributesCount = "droppedAttributesCount" | "dropped_attributes_count",
    Flags = "flags",
    TraceId = "traceId" | "trace_id",
    SpanId = "spanId" | "span_id",
    EventName = "eventName" | "event_name",
});

impl ReadMessage for LogRecord {
    const EXPECTING: &'static str = "a LogRecord object";
    type Field = LogRecordField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: LogRecordField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        use LogRecordField as F;
        match field {
            F::TimeUnixNano => self.time_unix_nano = map.next_value_seed(U64)?,
            F::ObservedTimeUnixNano => self.observed_time_unix_nano = map.next_value_seed(U64)?,
            F::SeverityNumber => self.severity_number = map.next_value_seed(SEVERITY_NUMBER)?,
            F::SeverityText => self.severity_text = map.next_value_seed(Str)?,
            F::Body => self.body = read::optional_message(map, ctx)?,
            F::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            F::DroppedAttributesCount => {
                self.dropped_attributes_count = map.next_value_seed(U32)?
            }
            F::Flags => self.flags = map.next_value_seed(U32)?,
            F::TraceId => self.trace_id = map.next_value_seed(HexId::<16>)?,
            F::SpanId => self.span_id = map.next_value_seed(HexId::<8>)?,
            F::EventName => self.event_name = map.next_value_seed(Str)?,
        }
        Ok(())
    }
}

impl WriteJson for LogRecord {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.u64("timeUnixNano", self.time_unix_nano);
        o.u64("observedTimeUnixNano", self.observed_time_unix_nano);
        o.i32("severityNumber", self.severity_number);
        o.str("severityText", &self.severity_text);
        o.message("body", self.body.as_ref());
        o.messages("attributes", &self.attributes);
        o.u32("droppedAttributesCount", self.dropped_attributes_count);
        o.u32("flags", self.flags);
        o.id("traceId", &self.trace_id);
        o.id("spanId", &self.span_id);
        o.str("eventName", &self.event_name);
        o.end();
    }
}

super::response::export_response_json!(ExportLogsServiceResponse, ExportLogsPartialSuccess, rejected_log_records: RejectedLogRecords = "rejectedLogRecords" | "rejected_log_records");
