/* check_train_loss.c — the training step `attnstep bench` times and the one
 * tests/bench/bench_pytorch.py times compute the same thing: the teacher-forcing loss of the
 * first batch (examples 0..63 as both build them) from the same weights. Not built by CMake:
 *
 *   build-bench/attnstep bench --hidden 128 --save-model /tmp/ref128.safetensors
 *   cc -O2 -march=native -Icore/include tests/bench/check_train_loss.c \
 *      build-bench/libattnstep_core.a -lopenblas -lcjson -lm -lpthread -o /tmp/check_train_loss
 *   /tmp/check_train_loss /tmp/ref128.safetensors           # C loss 6.2241702
 *   cd tests/bench && /usr/bin/python3 -c "import sys; sys.argv=['x','/tmp/ref128.safetensors','12','1']
 *   import bench_pytorch as bp, torch.nn.functional as F
 *   enc, dec, V, H = bp.load(sys.argv[1]); enc.train(); dec.train(); s, t = bp.examples(V)
 *   eo, eh = enc(s[:64]); lp, _, _ = dec(eo, eh, t[:64])
 *   print('PyTorch loss %.7f' % F.nll_loss(lp.reshape(-1, V), t[:64].reshape(-1)).item())"
 *                                                            # PyTorch loss 6.2241702 */
#include <stdio.h>
#include <stdlib.h>
#include "attnstep/train.h"
int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: check_train_loss MODEL\n"); return 2; }
    Status st = {0};
    Seq2Seq *m = seq2seq_load(argv[1], &st);
    if (!m) { printf("%s\n", st.message); return 1; }
    int V = 500, B = 64, L = 12;
    static int src[64 * 12], tgt[64 * 12], sl[64], tl[64];
    for (int i = 0; i < B; i++) {
        for (int j = 0; j < L - 1; j++) src[i * L + j] = 2 + (int)(((long)i * 7919 + (long)j * 104729) % (V - 2));
        src[i * L + L - 1] = 1;
        for (int j = 0; j < L - 1; j++) tgt[i * L + j] = src[i * L + L - 2 - j];
        tgt[i * L + L - 1] = 1;
        sl[i] = tl[i] = L;
    }
    TrainBatch b = {B, L, L, src, sl, tgt, tl};
    TrainActs *a = train_acts_new(m, B, L, L, &st);
    printf("C loss %.7f\n", train_forward(m, a, &b, 0.0f, NULL));
    return 0;
}
