//! A cache of the most recently used values, bounded both by entries and by the bytes its
//! values take, so that its memory stays bounded whatever clients send: the APQ documents
//! (`documents.rs`) and the parsed documents (`prepared.rs`).

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

/// At most `capacity` values weighing at most `max_bytes` together; the least recently used
/// are forgotten first.
pub struct Recent<V> {
    capacity: usize,
    max_bytes: usize,
    bytes: usize,
    tick: u64,
    /// key → the value, its weight, when last used.
    entries: HashMap<Arc<str>, (V, usize, u64)>,
    /// when last used → key, oldest first.
    by_use: BTreeMap<u64, Arc<str>>,
}

impl<V: Clone> Recent<V> {
    /// An empty cache.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            capacity,
            max_bytes,
            bytes: 0,
            tick: 0,
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
        }
    }

    /// The value under `key`, now the most recently used.
    pub fn get(&mut self, key: &str) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        let (value, _, used) = self.entries.get_mut(key)?;
        if let Some(key) = self.by_use.remove(used) {
            self.by_use.insert(tick, key);
        }
        *used = tick;
        Some(value.clone())
    }

    /// Keeps `value`, said to weigh `bytes` (the key's share included), under `key`,
    /// forgetting the least recently used until it fits; one heavier than the whole cache is
    /// not kept.
    pub fn insert(&mut self, key: Arc<str>, value: V, bytes: usize) {
        self.remove(&key);
        if bytes > self.max_bytes || self.capacity == 0 {
            return;
        }
        while self.entries.len() >= self.capacity || self.bytes + bytes > self.max_bytes {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            self.remove(&oldest);
        }
        self.tick += 1;
        self.bytes += bytes;
        self.by_use.insert(self.tick, key.clone());
        self.entries.insert(key, (value, bytes, self.tick));
    }

    /// How many values it holds, and their weight.
    pub fn size(&self) -> (usize, usize) {
        (self.entries.len(), self.bytes)
    }

    fn remove(&mut self, key: &str) {
        if let Some((_, bytes, used)) = self.entries.remove(key) {
            self.bytes -= bytes;
            self.by_use.remove(&used);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(cache: &mut Recent<String>, key: &str, value: &str) {
        cache.insert(key.into(), value.to_owned(), value.len());
    }

    #[test]
    fn the_cache_forgets_the_least_recently_used() {
        let mut cache = Recent::new(2, 1000);
        insert(&mut cache, "a", "{ a }");
        insert(&mut cache, "b", "{ b }");
        assert!(cache.get("a").is_some());
        insert(&mut cache, "c", "{ c }");
        assert_eq!(cache.get("b"), None);
        assert_eq!(cache.get("a").as_deref(), Some("{ a }"));
        assert_eq!(cache.get("c").as_deref(), Some("{ c }"));
    }

    #[test]
    fn the_cache_holds_at_most_its_bytes() {
        let mut cache = Recent::new(100, 12);
        insert(&mut cache, "a", "{ a }");
        insert(&mut cache, "b", "{ b }");
        assert!(cache.get("a").is_some());
        // 5 + 5 + 5 bytes do not fit in 12: the least recently used goes.
        insert(&mut cache, "c", "{ c }");
        assert_eq!(cache.get("b"), None);
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        // Larger than the whole cache: not kept, and nothing is forgotten for it.
        insert(&mut cache, "d", "{ dddddddddd }");
        assert_eq!(cache.get("d"), None);
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        // Inserting a key again replaces its value, not adds to it.
        insert(&mut cache, "a", "{ a }");
        assert_eq!(cache.size(), (2, 10));
        assert_eq!(cache.entries.len(), cache.by_use.len());
    }
}
