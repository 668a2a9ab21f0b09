"""Private sandbox queries: aggregate SQL over raw data, released only through differential
privacy and charged to a per-(buyer organization, dataset) privacy budget (可用不可见)."""
