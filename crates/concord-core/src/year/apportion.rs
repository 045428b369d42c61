//! The largest-remainder method (Hamilton's): shares a whole number of units among parties
//! in proportion to their weights. Used for quota posts (by budget share) and to split a
//! budget into contributions to the hundredth, so that the parts always add up to the whole.
//!
//! Written here: it is a dozen lines, and the crates that offer it bring float arithmetic.
//! Everything below is integer arithmetic.
//!
//! What the method guarantees, and the property tests check: the parts add up to the total;
//! each part is its exact quota rounded down or up; a larger weight never gets fewer units.
//! What it does not: more units in total can give a party fewer (the "Alabama paradox"), so
//! no test claims that.

/// Shares `total` units among `weights`, in the weights' order. Ties between equal
/// remainders go to the earlier party (the charter's order). All weights zero: nothing is
/// shared (every part is zero).
pub fn largest_remainder(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let total = u128::from(total);
    let mut parts: Vec<u64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = total * u128::from(w);
        parts.push(u64::try_from(exact / sum).expect("a part is at most the total"));
        remainders.push((exact % sum, i));
    }
    let given: u128 = parts.iter().map(|&p| u128::from(p)).sum();
    let left = usize::try_from(total - given).expect("fewer than one unit per party is left");
    // Largest remainder first; among equals, the earlier party.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(left) {
        parts[i] += 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shares_by_the_charters_budget_shares() {
        // Russia 50 %, five others 10 % each.
        let shares = [10, 10, 10, 10, 50, 10];
        assert_eq!(largest_remainder(20, &shares), vec![2, 2, 2, 2, 10, 2]);
        // 0.7 each and 3.5: the four largest remainders (0.7) go to the first four in order.
        assert_eq!(largest_remainder(7, &shares), vec![1, 1, 1, 1, 3, 0]);
        assert_eq!(largest_remainder(3, &[1, 1, 1]), vec![1, 1, 1]);
        assert_eq!(largest_remainder(2, &[1, 1, 1]), vec![1, 1, 0]);
        assert_eq!(largest_remainder(5, &[0, 0]), vec![0, 0]);
        assert_eq!(largest_remainder(0, &[3, 7]), vec![0, 0]);
    }

    proptest! {
        /// The parts add up; each is its quota rounded down or up; a larger weight never
        /// gets less; equal weights differ by at most one.
        #[test]
        fn apportionment_keeps_sum_quota_and_order(
            total in 0u64..10_000_000,
            weights in prop::collection::vec(0u64..1_000, 1..12),
        ) {
            let parts = largest_remainder(total, &weights);
            let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
            prop_assert_eq!(parts.len(), weights.len());
            if sum == 0 {
                prop_assert!(parts.iter().all(|&p| p == 0));
                return Ok(());
            }
            prop_assert_eq!(parts.iter().sum::<u64>(), total);
            for (p, w) in parts.iter().zip(&weights) {
                let exact = u128::from(total) * u128::from(*w);
                let floor = exact / sum;
                let ceil = floor + u128::from(exact % sum != 0);
                prop_assert!(u128::from(*p) >= floor && u128::from(*p) <= ceil);
            }
            for i in 0..weights.len() {
                for j in 0..weights.len() {
                    if weights[i] > weights[j] {
                        prop_assert!(parts[i] >= parts[j]);
                    }
                    if weights[i] == weights[j] {
                        prop_assert!(parts[i].abs_diff(parts[j]) <= 1);
                    }
                }
            }
        }

        /// Scaling every weight by the same factor changes nothing.
        #[test]
        fn only_proportions_matter(
            total in 0u64..1_000,
            weights in prop::collection::vec(0u64..100, 1..8),
            k in 1u64..50,
        ) {
            let scaled: Vec<u64> = weights.iter().map(|w| w * k).collect();
            prop_assert_eq!(largest_remainder(total, &weights), largest_remainder(total, &scaled));
        }
    }
}
