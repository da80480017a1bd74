"""What happens to builds after publish: tags, reuse pointers, retention (gc), compaction and the lease they share."""
