/** @internal `dvme finetune --help`. */
export const FINETUNE_HELP = `Usage:
  dvme finetune --data <folder|manifest|npz> (--model <model.json> | --backbone <name>) [options]

Fine-tunes a backbone and a linear head end to end on the training images (FineTuner, the
paper's protocol by default: Adam, ReduceLROnPlateau, 30-50 epochs with early stopping, the
best validation epoch's weights kept), scores it on the test split and writes a results file
that dvme report draws (learning curve, ROC curves, confusion matrices).

Data (as dvme embed takes it):
  --data <path>           An image folder (<dir>/<class>/<image>, or <dir>/<split>/<class>/<image>),
                          a .csv / .json manifest (path,label[,split] or path,labels), or a
                          MedMNIST .npz (its train / val / test splits)
  --classes <a,b,...>     Class names in label order (default: sorted folder / label names)
  --window <w>            16-bit PNG and DICOM intensity window: file (default), minmax, full,
                          or <center>,<width>
  --on-error <e>          fail (default) or skip unreadable images and unknown labels
  --val <f>, --test <f>   Give images without a split a seeded, label-stratified val / test
                          split of these fractions. A test split is required.
  --validation-split <f>  Without val images: hold out this seeded fraction of the training
                          images for validation (default 0.1; 0: monitor the training loss)

Backbone:
  --model <path|URL>      A tfjs LayersModel model.json; with --embedding-layer <l>, --mean
                          <r,g,b> and --std <r,g,b> (default 0,0,0 and 1,1,1: pixels / 255)
  --backbone <name>       A registry backbone (its own preprocessing; checkpoints load on tfjs,
                          batch norms unfolded, so they train); --offline: cache only

Training (FineTuner options; defaults: the paper's):
  --task <t>              binary, multiclass or multilabel (default: the dataset's)
  --epochs <n|min/max>    Exactly n epochs, or min/max with early stopping (default 30/50)
  --lr <x>                Learning rate (default 1e-3; 1e-4 for DINO backbones)
  --batch-size <n>        Images per step (default 64; 16 for DINO backbones)
  --trainable <t>         all (default), head (the linear head on frozen features), or a stage
                          number s: stages s.. and the head train
  --weight-decay <x>      Decoupled weight decay, as AdamW (default 0: the paper's Adam)
  --label-smoothing <e>   In [0, 1) (default 0)
  --seed <n>              Seed of the splits, head, batch order and validation (default 0)
  --backend <b>           auto (default: tfjs-node, else wasm), cpu or wasm. Training
                          convolutions needs a backend with their gradient kernels: use cpu
                          when wasm refuses (exit 1, the message says so).

Output:
  --metric <m>            Test score: auc (default for binary / multilabel), accuracy (default
                          for multiclass), kappa or quadraticKappa
  --out <file.json>       Results file for dvme report (the fine-tuned backbone as the one
                          source, size all, one run with its learning curve and predictions)
  --json                  Print the results document (or { error }) on stdout; progress (one
                          line per epoch, with an ETA) stays on stderr.

Exit codes: 0 trained and scored; 2 a usage mistake (also: no test split); 3 bad data
(unreadable images, unknown labels); 4 a download failed; 1 any other failure, such as a
backend that cannot train the backbone (see dvme --help).

Example:
  dvme finetune --data xrays/labels.csv --test 0.2 --model models/mobilenet/model.json \\
    --epochs 30/50 --backend cpu --out out/finetune.json
  dvme report out/finetune.json -o out/finetune.html
`;
