//! Metrics: `ExportMetricsServiceRequest` down to the five metric kinds, their data points,
//! exponential-histogram buckets, summary quantiles and exemplars, and the export response.

use serde::de::MapAccess;

use super::read::{self, Ctx, ReadMessage, json_fields};
use super::scalar::{Bool, Enum, F64, HexId, I32, I64, OptF64, Str, U32, U64};
use super::write::{Obj, WriteJson, write_f64, write_quoted_i64};
use crate::proto::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use crate::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use crate::proto::metrics::v1::summary_data_point::ValueAtQuantile;
use crate::proto::metrics::v1::{
    AggregationTemporality, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
    Summary, SummaryDataPoint, exemplar, metric, number_data_point,
};

const TEMPORALITY: Enum = Enum {
    name: "AggregationTemporality",
    from_name: |s| AggregationTemporality::from_str_name(s).map(|t| t as i32),
};

super::envelope::envelope_json!(
    ExportMetricsServiceRequest {
        resource_metrics: ResourceMetrics = "resourceMetrics" | "resource_metrics"
    },
    ResourceMetrics {
        scope_metrics: ScopeMetrics = "scopeMetrics" | "scope_metrics"
    },
    ScopeMetrics {
        metrics: Metrics = "metrics"
    }
);

json_fields!(MetricField {
    Name = "name",
    Description = "description",
    Unit = "unit",
    Gauge = "gauge",
    Sum = "sum",
    Histogram = "histogram",
    ExponentialHistogram = "exponentialHistogram" | "exponential_histogram",
    Summary = "summary",
    Metadata = "metadata",
});

impl ReadMessage for Metric {
    const EXPECTING: &'static str = "a Metric object";
    type Field = MetricField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: MetricField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            MetricField::Name => self.name = map.next_value_seed(Str)?,
            MetricField::Description => self.description = map.next_value_seed(Str)?,
            MetricField::Unit => self.unit = map.next_value_seed(Str)?,
            MetricField::Gauge => {
                self.data = Some(metric::Data::Gauge(read::message(map, ctx)?));
            }
            MetricField::Sum => self.data = Some(metric::Data::Sum(read::message(map, ctx)?)),
            MetricField::Histogram => {
                self.data = Some(metric::Data::Histogram(read::message(map, ctx)?));
            }
            MetricField::ExponentialHistogram => {
                self.data = Some(metric::Data::ExponentialHistogram(read::message(map, ctx)?));
            }
            MetricField::Summary => {
                self.data = Some(metric::Data::Summary(read::message(map, ctx)?));
            }
            MetricField::Metadata => read::repeated(map, ctx, &mut self.metadata)?,
        }
        Ok(())
    }
}

impl WriteJson for Metric {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.str("name", &self.name);
        o.str("description", &self.description);
        o.str("unit", &self.unit);
        match &self.data {
            None => {}
            Some(metric::Data::Gauge(v)) => v.write_json(o.key("gauge")),
            Some(metric::Data::Sum(v)) => v.write_json(o.key("sum")),
            Some(metric::Data::Histogram(v)) => v.write_json(o.key("histogram")),
            Some(metric::Data::ExponentialHistogram(v)) => {
                v.write_json(o.key("exponentialHistogram"));
            }
            Some(metric::Data::Summary(v)) => v.write_json(o.key("summary")),
        }
        o.messages("metadata", &self.metadata);
        o.end();
    }
}

json_fields!(DataPointsField {
    DataPoints = "dataPoints" | "data_points",
    AggregationTemporality = "aggregationTemporality" | "aggregation_temporality",
    IsMonotonic = "isMonotonic" | "is_monotonic",
});

/// Gauge and Summary have only `dataPoints`; a temporality or monotonic flag sent for them is
/// skipped like any unknown field.
macro_rules! data_points_only {
    ($ty:ty, $expecting:literal) => {
        impl ReadMessage for $ty {
            const EXPECTING: &'static str = $expecting;
            type Field = DataPointsField;

            fn read_field<'de, A: MapAccess<'de>>(
                &mut self,
                field: DataPointsField,
                map: &mut A,
                ctx: &mut Ctx,
            ) -> Result<(), A::Error> {
                match field {
                    DataPointsField::DataPoints => read::repeated(map, ctx, &mut self.data_points),
                    DataPointsField::AggregationTemporality | DataPointsField::IsMonotonic => {
                        map.next_value::<serde::de::IgnoredAny>().map(drop)
                    }
                }
            }
        }

        impl WriteJson for $ty {
            fn write_json(&self, out: &mut Vec<u8>) {
                let mut o = Obj::new(out);
                o.messages("dataPoints", &self.data_points);
                o.end();
            }
        }
    };
}

data_points_only!(Gauge, "a Gauge object");
data_points_only!(Summary, "a Summary object");

/// Histogram and ExponentialHistogram add `aggregationTemporality`.
macro_rules! data_points_with_temporality {
    ($ty:ty, $expecting:literal) => {
        impl ReadMessage for $ty {
            const EXPECTING: &'static str = $expecting;
            type Field = DataPointsField;

            fn read_field<'de, A: MapAccess<'de>>(
                &mut self,
                field: DataPointsField,
                map: &mut A,
                ctx: &mut Ctx,
            ) -> Result<(), A::Error> {
                match field {
                    DataPointsField::DataPoints => {
                        read::repeated(map, ctx, &mut self.data_points)?;
                    }
                    DataPointsField::AggregationTemporality => {
                        self.aggregation_temporality = map.next_value_seed(TEMPORALITY)?;
                    }
                    DataPointsField::IsMonotonic => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(())
            }
        }

        impl WriteJson for $ty {
            fn write_json(&self, out: &mut Vec<u8>) {
                let mut o = Obj::new(out);
                o.messages("dataPoints", &self.data_points);
                o.i32("aggregationTemporality", self.aggregation_temporality);
                o.end();
            }
        }
    };
}

data_points_with_temporality!(Histogram, "a Histogram object");
data_points_with_temporality!(ExponentialHistogram, "an ExponentialHistogram object");

impl ReadMessage for Sum {
    const EXPECTING: &'static str = "a Sum object";
    type Field = DataPointsField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: DataPointsField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            DataPointsField::DataPoints => read::repeated(map, ctx, &mut self.data_points)?,
            DataPointsField::AggregationTemporality => {
                self.aggregation_temporality = map.next_value_seed(TEMPORALITY)?;
            }
            DataPointsField::IsMonotonic => self.is_monotonic = map.next_value_seed(Bool)?,
        }
        Ok(())
    }
}

impl WriteJson for Sum {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.messages("dataPoints", &self.data_points);
        o.i32("aggregationTemporality", self.aggregation_temporality);
        o.bool("isMonotonic", self.is_monotonic);
        o.end();
    }
}

json_fields!(NumberDataPointField {
    Attributes = "attributes",
    StartTimeUnixNano = "startTimeUnixNano" | "start_time_unix_nano",
    TimeUnixNano = "timeUnixNano" | "time_unix_nano",
    AsDouble = "asDouble" | "as_double",
    AsInt = "asInt" | "as_int",
    Exemplars = "exemplars",
    Flags = "flags",
});

impl ReadMessage for NumberDataPoint {
    const EXPECTING: &'static str = "a NumberDataPoint object";
    type Field = NumberDataPointField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: NumberDataPointField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        use number_data_point::Value;
        match field {
            NumberDataPointField::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            NumberDataPointField::StartTimeUnixNano => {
                self.start_time_unix_nano = map.next_value_seed(U64)?;
            }
            NumberDataPointField::TimeUnixNano => self.time_unix_nano = map.next_value_seed(U64)?,
            NumberDataPointField::AsDouble => {
                self.value = Some(Value::AsDouble(map.next_value_seed(F64)?));
            }
            NumberDataPointField::AsInt => {
                self.value = Some(Value::AsInt(map.next_value_seed(I64)?));
            }
            NumberDataPointField::Exemplars => read::repeated(map, ctx, &mut self.exemplars)?,
            NumberDataPointField::Flags => self.flags = map.next_value_seed(U32)?,
        }
        Ok(())
    }
}

impl WriteJson for NumberDataPoint {
    fn write_json(&self, out: &mut Vec<u8>) {
        use number_data_point::Value;
        let mut o = Obj::new(out);
        o.messages("attributes", &self.attributes);
        o.u64("startTimeUnixNano", self.start_time_unix_nano);
        o.u64("timeUnixNano", self.time_unix_nano);
        match self.value {
            None => {}
            Some(Value::AsDouble(v)) => write_f64(o.key("asDouble"), v),
            Some(Value::AsInt(v)) => write_quoted_i64(o.key("asInt"), v),
        }
        o.messages("exemplars", &self.exemplars);
        o.u32("flags", self.flags);
        o.end();
    }
}

json_fields!(HistogramDataPointField {
    Attributes = "attributes",
    StartTimeUnixNano = "startTimeUnixNano" | "start_time_unix_nano",
    TimeUnixNano = "timeUnixNano" | "time_unix_nano",
    Count = "count",
    Sum = "sum",
    BucketCounts = "bucketCounts" | "bucket_counts",
    ExplicitBounds = "explicitBounds" | "explicit_bounds",
    Exemplars = "exemplars",
    Flags = "flags",
    Min = "min",
    Max = "max",
});

impl ReadMessage for HistogramDataPoint {
    const EXPECTING: &'static str = "a HistogramDataPoint object";
    type Field = HistogramDataPointField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: HistogramDataPointField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        use HistogramDataPointField as F;
        match field {
            F::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            F::StartTimeUnixNano => self.start_time_unix_nano = map.next_value_seed(U64)?,
            F::TimeUnixNano => self.time_unix_nano = map.next_value_seed(U64)?,
            F::Count => self.count = map.next_value_seed(U64)?,
            F::Sum => self.sum = map.next_value_seed(OptF64)?,
            F::BucketCounts => read::repeated_scalar(map, ctx, &mut self.bucket_counts, U64)?,
            F::ExplicitBounds => read::repeated_scalar(map, ctx, &mut self.explicit_bounds, F64)?,
            F::Exemplars => read::repeated(map, ctx, &mut self.exemplars)?,
            F::Flags => self.flags = map.next_value_seed(U32)?,
            F::Min => self.min = map.next_value_seed(OptF64)?,
            F::Max => self.max = map.next_value_seed(OptF64)?,
        }
        Ok(())
    }
}

impl WriteJson for HistogramDataPoint {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.messages("attributes", &self.attributes);
        o.u64("startTimeUnixNano", self.start_time_unix_nano);
        o.u64("timeUnixNano", self.time_unix_nano);
        o.u64("count", self.count);
        o.opt_f64("sum", self.sum);
        o.u64s("bucketCounts", &self.bucket_counts);
        o.f64s("explicitBounds", &self.explicit_bounds);
        o.messages("exemplars", &self.exemplars);
        o.u32("flags", self.flags);
        o.opt_f64("min", self.min);
        o.opt_f64("max", self.max);
        o.end();
    }
}

json_fields!(ExpHistogramDataPointField {
    Attributes = "attributes",
    StartTimeUnixNano = "startTimeUnixNano" | "start_time_unix_nano",
    TimeUnixNano = "timeUnixNano" | "time_unix_nano",
    Count = "count",
    Sum = "sum",
    Scale = "scale",
    ZeroCount = "zeroCount" | "zero_count",
    Positive = "positive",
    Negative = "negative",
    Flags = "flags",
    Exemplars = "exemplars",
    Min = "min",
    Max = "max",
    ZeroThreshold = "zeroThreshold" | "zero_threshold",
});

impl ReadMessage for ExponentialHistogramDataPoint {
    const EXPECTING: &'static str = "an ExponentialHistogramDataPoint object";
    type Field = ExpHistogramDataPointField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: ExpHistogramDataPointField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        use ExpHistogramDataPointField as F;
        match field {
            F::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            F::StartTimeUnixNano => self.start_time_unix_nano = map.next_value_seed(U64)?,
            F::TimeUnixNano => self.time_unix_nano = map.next_value_seed(U64)?,
            F::Count => self.count = map.next_value_seed(U64)?,
            F::Sum => self.sum = map.next_value_seed(OptF64)?,
            F::Scale => self.scale = map.next_value_seed(I32)?,
            F::ZeroCount => self.zero_count = map.next_value_seed(U64)?,
            F::Positive => self.positive = read::optional_message(map, ctx)?,
            F::Negative => self.negative = read::optional_message(map, ctx)?,
            F::Flags => self.flags = map.next_value_seed(U32)?,
            F::Exemplars => read::repeated(map, ctx, &mut self.exemplars)?,
            F::Min => self.min = map.next_value_seed(OptF64)?,
            F::Max => self.max = map.next_value_seed(OptF64)?,
            F::ZeroThreshold => self.zero_threshold = map.next_value_seed(F64)?,
        }
        Ok(())
    }
}

impl WriteJson for ExponentialHistogramDataPoint {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.messages("attributes", &self.attributes);
        o.u64("startTimeUnixNano", self.start_time_unix_nano);
        o.u64("timeUnixNano", self.time_unix_nano);
        o.u64("count", self.count);
        o.opt_f64("sum", self.sum);
        o.i32("scale", self.scale);
        o.u64("zeroCount", self.zero_count);
        o.message("positive", self.positive.as_ref());
        o.message("negative", self.negative.as_ref());
        o.u32("flags", self.flags);
        o.messages("exemplars", &self.exemplars);
        o.opt_f64("min", self.min);
        o.opt_f64("max", self.max);
        o.f64("zeroThreshold", self.zero_threshold);
        o.end();
    }
}

json_fields!(BucketsField {
    Offset = "offset",
    BucketCounts = "bucketCounts" | "bucket_counts",
});

impl ReadMessage for Buckets {
    const EXPECTING: &'static str = "an ExponentialHistogramDataPoint.Buckets object";
    type Field = BucketsField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: BucketsField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            BucketsField::Offset => self.offset = map.next_value_seed(I32)?,
            BucketsField::BucketCounts => {
                read::repeated_scalar(map, ctx, &mut self.bucket_counts, U64)?;
            }
        }
        Ok(())
    }
}

impl WriteJson for Buckets {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.i32("offset", self.offset);
        o.u64s("bucketCounts", &self.bucket_counts);
        o.end();
    }
}

json_fields!(SummaryDataPointField {
    Attributes = "attributes",
    StartTimeUnixNano = "startTimeUnixNano" | "start_time_unix_nano",
    TimeUnixNano = "timeUnixNano" | "time_unix_nano",
    Count = "count",
    Sum = "sum",
    QuantileValues = "quantileValues" | "quantile_values",
    Flags = "flags",
});

impl ReadMessage for SummaryDataPoint {
    const EXPECTING: &'static str = "a SummaryDataPoint object";
    type Field = SummaryDataPointField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: SummaryDataPointField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        use SummaryDataPointField as F;
        match field {
            F::Attributes => read::repeated(map, ctx, &mut self.attributes)?,
            F::StartTimeUnixNano => self.start_time_unix_nano = map.next_value_seed(U64)?,
            F::TimeUnixNano => self.time_unix_nano = map.next_value_seed(U64)?,
            F::Count => self.count = map.next_value_seed(U64)?,
            F::Sum => self.sum = map.next_value_seed(F64)?,
            F::QuantileValues => read::repeated(map, ctx, &mut self.quantile_values)?,
            F::Flags => self.flags = map.next_value_seed(U32)?,
        }
        Ok(())
    }
}

impl WriteJson for SummaryDataPoint {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.messages("attributes", &self.attributes);
        o.u64("startTimeUnixNano", self.start_time_unix_nano);
        o.u64("timeUnixNano", self.time_unix_nano);
        o.u64("count", self.count);
        o.f64("sum", self.sum);
        o.messages("quantileValues", &self.quantile_values);
        o.u32("flags", self.flags);
        o.end();
    }
}

json_fields!(QuantileField {
    Quantile = "quantile",
    Value = "value",
});

impl ReadMessage for ValueAtQuantile {
    const EXPECTING: &'static str = "a SummaryDataPoint.ValueAtQuantile object";
    type Field = QuantileField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: QuantileField,
        map: &mut A,
        _ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match field {
            QuantileField::Quantile => self.quantile = map.next_value_seed(F64)?,
            QuantileField::Value => self.value = map.next_value_seed(F64)?,
        }
        Ok(())
    }
}

impl WriteJson for ValueAtQuantile {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.f64("quantile", self.quantile);
        o.f64("value", self.value);
        o.end();
    }
}

json_fields!(ExemplarField {
    FilteredAttributes = "filteredAttributes" | "filtered_attributes",
    TimeUnixNano = "timeUnixNano" | "time_unix_nano",
    AsDouble = "asDouble" | "as_double",
    AsInt = "asInt" | "as_int",
    TraceId = "traceId" | "trace_id",
    SpanId = "spanId" | "span_id",
});

impl ReadMessage for Exemplar {
    const EXPECTING: &'static str = "an Exemplar object";
    type Field = ExemplarField;

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: ExemplarField,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        use exemplar::Value;
        match field {
            ExemplarField::FilteredAttributes => {
                read::repeated(map, ctx, &mut self.filtered_attributes)?;
            }
            ExemplarField::TimeUnixNano => self.time_unix_nano = map.next_value_seed(U64)?,
            ExemplarField::AsDouble => {
                self.value = Some(Value::AsDouble(map.next_value_seed(F64)?));
            }
            ExemplarField::AsInt => self.value = Some(Value::AsInt(map.next_value_seed(I64)?)),
            ExemplarField::TraceId => self.trace_id = map.next_value_seed(HexId::<16>)?,
            ExemplarField::SpanId => self.span_id = map.next_value_seed(HexId::<8>)?,
        }
        Ok(())
    }
}

impl WriteJson for Exemplar {
    fn write_json(&self, out: &mut Vec<u8>) {
        use exemplar::Value;
        let mut o = Obj::new(out);
        o.messages("filteredAttributes", &self.filtered_attributes);
        o.u64("timeUnixNano", self.time_unix_nano);
        match self.value {
            None => {}
            Some(Value::AsDouble(v)) => write_f64(o.key("asDouble"), v),
            Some(Value::AsInt(v)) => write_quoted_i64(o.key("asInt"), v),
        }
        o.id("traceId", &self.trace_id);
        o.id("spanId", &self.span_id);
        o.end();
    }
}

super::response::export_response_json!(ExportMetricsServiceResponse, ExportMetricsPartialSuccess, rejected_data_points: RejectedDataPoints = "rejectedDataPoints" | "rejected_data_points");
