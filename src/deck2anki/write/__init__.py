"""Files learners and reviewers get: packages, CSVs and the HTML preview."""
