//! A small sorted label set with the parts of Prometheus' `labels.Builder` semantics that
//! relabelling relies on: reading a missing label gives `""`, and setting an empty value
//! deletes the label.

/// Labels sorted by name, names unique.
///
/// Each label also remembers whether it came with the set (`from_pairs`, `commit`) or was
/// set afterwards, and in which order, because Prometheus' `labels.Builder.Range` (which
/// `labelmap` iterates) visits the untouched original labels in name order first, then the
/// labels set since, in the order they were first set. Equality and hashing ignore this.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    entries: Vec<Entry>,
    next_seq: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    value: String,
    /// 0: an original label; otherwise the order in which it was set.
    seq: u64,
}

impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Labels {}

impl std::hash::Hash for Labels {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for (n, v) in self.iter() {
            n.hash(state);
            v.hash(state);
        }
    }
}

impl Labels {
    /// An empty label set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a set of original labels from pairs in any order; for a repeated name the last
    /// pair wins, and pairs with an empty value are left out (as a `labels.Builder` would).
    pub fn from_pairs<N, V, I>(pairs: I) -> Self
    where
        N: Into<String>,
        V: Into<String>,
        I: IntoIterator<Item = (N, V)>,
    {
        let mut labels = Self::new();
        for (n, v) in pairs {
            labels.set(n, v);
        }
        labels.commit();
        labels
    }

    /// Marks every label as original (a fresh `labels.NewBuilder(lb.Labels())`).
    pub fn commit(&mut self) {
        for e in &mut self.entries {
            e.seq = 0;
        }
        self.next_seq = 0;
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| e.name.as_str().cmp(name))
    }

    /// The value of `name`, `""` when absent.
    pub fn get(&self, name: &str) -> &str {
        match self.position(name) {
            Ok(i) => &self.entries[i].value,
            Err(_) => "",
        }
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    /// Sets `name` to `value`; an empty value deletes the label.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        if value.is_empty() {
            self.del(&name);
            return;
        }
        match self.position(&name) {
            Ok(i) => {
                let e = &mut self.entries[i];
                e.value = value;
                if e.seq == 0 {
                    self.next_seq += 1;
                    e.seq = self.next_seq;
                }
            }
            Err(i) => {
                self.next_seq += 1;
                let seq = self.next_seq;
                self.entries.insert(i, Entry { name, value, seq });
            }
        }
    }

    /// Removes `name` if present.
    pub fn del(&mut self, name: &str) {
        if let Ok(i) = self.position(name) {
            self.entries.remove(i);
        }
    }

    /// Keeps only the labels for which `keep(name, value)` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.entries.retain(|e| keep(&e.name, &e.value));
    }

    /// Removes every label.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.next_seq = 0;
    }

    /// The labels in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_str()))
    }

    /// A snapshot in `labels.Builder.Range` order: original labels by name, then labels set
    /// since, in the order they were first set.
    pub fn builder_range_order(&self) -> Vec<(String, String)> {
        let mut v: Vec<&Entry> = self.entries.iter().collect();
        v.sort_by_key(|e| e.seq);
        v.into_iter()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect()
    }

    /// Consumes the set into its pairs, sorted by name.
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.entries
            .into_iter()
            .map(|e| (e.name, e.value))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Self::from_pairs(iter)
    }
}
