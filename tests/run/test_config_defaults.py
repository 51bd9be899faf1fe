"""Word2VecConfig's default starting rate: word2vec's per model, 0.4 of it with --init, CBOW_REPLICA_ALPHA for
CBOW's replicas on Ray."""
from streamnlp.run.config import CBOW_REPLICA_ALPHA, INIT_ALPHA_SHARE, Word2VecConfig, make_config


def alpha(**values):
    return make_config(Word2VecConfig, values).effective_alpha()


def test_the_default_rate_per_model_and_run():
    assert alpha(model="sg") == 0.025 and alpha(model="cbow") == 0.05
    assert alpha(model="cbow", ray="local:2") == CBOW_REPLICA_ALPHA == 0.075
    assert alpha(model="sg", ray="local:2") == 0.025
    assert alpha(model="cbow", init="/some/run") == 0.05 * INIT_ALPHA_SHARE
    assert alpha(model="cbow", ray="local:2", alpha=0.01) == 0.01
