//! Helpers the list operations share: cutting one page out of a list, and matching free text
//! without regard to case.

/// Answers one page of `items`: page `page_number` (from 1) of `per_page` items; an empty
/// page past the end.
pub(crate) fn page<T>(items: Vec<T>, page_number: u32, per_page: usize) -> Vec<T> {
    let per_page = per_page.max(1);
    let page_index = usize::try_from(page_number.saturating_sub(1)).unwrap_or(usize::MAX);
    let skip = page_index.saturating_mul(per_page);
    items.into_iter().skip(skip).take(per_page).collect()
}

/// Whether `haystack` contains `needle`, ignoring case.
pub(crate) fn contains_text(haystack: Option<&str>, needle: &str) -> bool {
    haystack.is_some_and(|haystack| haystack.to_lowercase().contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_past_the_end_are_empty() {
        let items: Vec<u32> = (1..=5).collect();
        assert_eq!(page(items.clone(), 1, 2), [1, 2]);
        assert_eq!(page(items.clone(), 3, 2), [5]);
        assert!(page(items.clone(), 4, 2).is_empty());
        assert_eq!(page(items.clone(), 0, 2), [1, 2]);
        assert!(page(items.clone(), u32::MAX, usize::MAX).is_empty());
        assert_eq!(page(items, 1, 0), [1]);
    }
}
