"""Progress and statistics per era, book group and office (issue: reports)."""
