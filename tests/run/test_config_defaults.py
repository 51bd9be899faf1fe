"""Word2VecConfig's default starting rate: word2vec's per model, 0.4 of it with --init, CBOW_REPLICA_ALPHA for
CBOW's replicas on Ray, CBOW_HS_ALPHA for CBOW's hierarchical softmax."""
from streamnlp.run.config import CBOW_HS_ALPHA, CBOW_REPLICA_ALPHA, INIT_ALPHA_SHARE, Word2VecConfig, make_config


def alpha(**values):
    return make_config(Word2VecConfig, values).effective_alpha()


def test_the_default_rate_per_model_and_run():
    assert alpha(model="sg") == 0.025 and alpha(model="cbow") == 0.05
    assert alpha(model="cbow", ray="local:2") == CBOW_REPLICA_ALPHA == 0.075
    assert alpha(model="sg", ray="local:2") == 0.025
    assert alpha(model="cbow", init="/some/run") == 0.05 * INIT_ALPHA_SHARE
    assert alpha(model="cbow", ray="local:2", alpha=0.01) == 0.01
    assert alpha(model="cbow", hs=True, negative=0) == CBOW_HS_ALPHA == 0.035
    assert alpha(model="cbow", hs=True, negative=0, init="/some/run") == CBOW_HS_ALPHA * INIT_ALPHA_SHARE
    assert alpha(model="sg", hs=True, negative=0) == 0.025
