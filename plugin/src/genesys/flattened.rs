//! Flattened multi-valued groups (`flattenMultivaluedDimensions`): Genesys documents
//! that `['a','b','c']` becomes `'a,b,c'` but not in which order, so one skill set could
//! come as `a,b` in one answer or group and as `b,a` in another, and become two
//! series. Every joined value is put in ascending order, and rows that then share a
//! bucket and group are summed into one.

use std::collections::HashMap;

use crate::rows::Row;

/// `rows` with every joined group value sorted and equal groups merged, in first-seen order.
pub(crate) fn normalize(rows: Vec<Row>) -> Vec<Row> {
    let mut merged: Vec<Row> = Vec::with_capacity(rows.len());
    let mut index = HashMap::new();
    for mut row in rows {
        for value in row.group.values_mut() {
            if value.contains(',') {
                *value = sorted(value);
            }
        }
        let key = (row.bucket_start, row.group.clone());
        match index.get(&key) {
            Some(&at) => add(&mut merged[at], row),
            None => {
                index.insert(key, merged.len());
                merged.push(row);
            }
        }
    }
    merged
}

fn sorted(joined: &str) -> String {
    let mut ids: Vec<&str> = joined.split(',').collect();
    ids.sort_unstable();
    ids.join(",")
}

fn add(into: &mut Row, row: Row) {
    for (metric, stats) in row.metrics {
        let total = into.metrics.entry(metric).or_default();
        total.count += stats.count;
        total.sum = match (total.sum, stats.sum) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::rows::MetricStats;

    fn row(skills: &str, count: i64, sum: i64) -> Row {
        Row {
            bucket_start: jiff::Timestamp::UNIX_EPOCH,
            group: BTreeMap::from([("requestedRoutingSkillId".to_owned(), skills.to_owned())]),
            metrics: BTreeMap::from([(
                "tHandle".to_owned(),
                MetricStats {
                    count,
                    sum: Some(sum),
                },
            )]),
        }
    }

    #[test]
    fn one_set_in_two_orders_is_one_row() {
        let rows = normalize(vec![row("b,a", 1, 10), row("c", 2, 5), row("a,b", 3, 7)]);
        assert_eq!(rows, vec![row("a,b", 4, 17), row("c", 2, 5)]);
    }
}
