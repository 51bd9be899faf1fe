"""Runs on a Ray cluster: the corpus passes as Ray tasks, word2vec's training as replicas (Ray actors) that
average their rows. Ray starts, places and watches the processes; this package says what runs where."""
