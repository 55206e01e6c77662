//! `Optional<T>`: a config section that is off unless its key is present, like Go's
//! `configoptional.Optional`.
//!
//! The OTLP receiver's `protocols: {grpc: , http: }` enables both protocols with their
//! defaults: the key is present (even with a null value), so the section is `Some`, starting
//! from `T::default()` with whatever the user wrote laid over it. An absent key leaves the
//! field at its default, `None` (use it with `#[serde(default)]`). This differs from
//! `Option<T>`, where null means `None`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Optional<T>(Option<T>);

impl<T> Default for Optional<T> {
    fn default() -> Self {
        Optional(None)
    }
}

impl<T> Optional<T> {
    pub const fn none() -> Self {
        Optional(None)
    }

    pub const fn some(v: T) -> Self {
        Optional(Some(v))
    }

    pub fn is_some(&self) -> bool {
        self.0.is_some()
    }

    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }

    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }

    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.0.as_mut()
    }

    pub fn into_option(self) -> Option<T> {
        self.0
    }
}

impl<T> From<Option<T>> for Optional<T> {
    fn from(o: Option<T>) -> Self {
        Optional(o)
    }
}

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Optional<T> {
    /// Only called when the key is present. Null decodes to `T::default()` through our
    /// decoder (null into a struct is its defaults).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(|v| Optional(Some(v)))
    }
}

impl<T: Serialize> Serialize for Optional<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
