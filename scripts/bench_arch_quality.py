"""Same-wall-clock comparison on the phantom at 64×64: pggan vs began vs dcgan64.

Each arch trains through model.fit (the train CLI's path) on load_image_set("phantom",
64, "train") for BUDGET seconds of wall-clock (build excluded, tracing included), then
144 fakes are compared with the 144 training images by SWD (keras_medgan.evaluate.swd,
mean over seeds 0,1,2; ×10³, lower is better).
usage: python scripts/bench_arch_quality.py ARCH BUDGET_SECONDS OUT.json
"""

import json
import pathlib
import sys
import time

import keras
import numpy as np

from keras_medgan.data import load_image_set, make_tf_dataset
from keras_medgan.evaluate.swd import swd_repeats
from keras_medgan.gans import GAN_FAMILIES, make_optimizers, training_defaults
from keras_medgan.models import ARCHS

arch, budget, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
SETTINGS = {
    "pggan": {
        "z_dim": 128,
        "batch": 16,
        "g": {"fmap_base": 2048, "fmap_max": 128},
        "options": {"stage_images": 640, "label_flip_prob": 0.0},
    },
    "began": {"z_dim": 64, "batch": 16, "g": {"filters": 64}, "d": {"hidden": 64}, "options": {}},
    "dcgan64": {"z_dim": 100, "batch": 64, "g": {}, "options": {}},
}[arch]
keras.utils.set_random_seed(0)
data = load_image_set("phantom", image_size=64, split="train")
spec = ARCHS.get(arch)
loss = spec.paper_defaults()["loss"]
family = GAN_FAMILIES.get(loss)
rec = training_defaults(spec, loss)
g = spec.build_generator(z_dim=SETTINGS["z_dim"], image_size=64, num_classes=0, **SETTINGS["g"])
d = spec.build_discriminator(
    image_size=64, num_classes=0, critic=family.CRITIC, **{**SETTINGS["g"], **SETTINGS.get("d", {})}
)
gan = family(generator=g, discriminator=d, z_dim=SETTINGS["z_dim"], seed=0, **SETTINGS["options"])
gan.compile(
    *make_optimizers(
        family,
        optimizer=rec.get("optimizer"),
        lr=rec["lr"],
        beta_1=rec.get("beta_1"),
        beta_2=rec.get("beta_2"),
    )
)
ds = make_tf_dataset(
    data.images,
    data.labels,
    num_classes=2,
    batch_size=SETTINGS["batch"],
    shuffle=True,
    seed=0,
    drop_remainder=True,
)


class Budget(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.start, self.steps = time.time(), 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.time() - self.start > budget:
            self.model.stop_training = True


clock = Budget()
hist = gan.fit(ds, epochs=100000, verbose=0, callbacks=[clock])
seconds = time.time() - clock.start
fake = gan.generate(len(data.images), seed=1)
score = swd_repeats(data.images, fake)
result = {
    "arch": arch,
    "seconds": round(seconds, 1),
    "steps": clock.steps,
    "epochs": len(hist.history["d_loss"]),
    "batch": SETTINGS["batch"],
    "lr": rec["lr"],
    "swd_mean": score["mean"],
    "swd_std": score["std"],
    "swd_levels": score["levels"],
    "last": {k: float(np.asarray(v[-1])) for k, v in hist.history.items()},
}
if arch == "pggan":
    result["progress"] = gan.progress()
np.save(out.replace(".json", "_fakes.npy"), fake[:16])
pathlib.Path(out).write_text(json.dumps(result, indent=1))
print(json.dumps(result))
