"""The cross-encoder: MiniLM (BERT) encoder + pooling + linear 3-way head."""
import torch
from torch import nn
from transformers import BertConfig, BertModel


class CrossEncoder(nn.Module):
    def __init__(self, encoder_dir, pool="mean", n_labels=3, dropout=0.1):
        super().__init__()
        cfg = BertConfig.from_pretrained(str(encoder_dir))
        self.bert = BertModel.from_pretrained(str(encoder_dir), config=cfg, add_pooling_layer=False,
                                              attn_implementation="eager")
        self.pool = pool
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(cfg.hidden_size, n_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                      token_type_ids=token_type_ids).last_hidden_state
        if self.pool == "cls":
            v = h[:, 0]
        else:
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.head(self.drop(v))
