//! The preset file as serde reads it: every table and key with its span, nothing checked yet
//! beyond the shape (unknown keys and wrong types are refused with `deny_unknown_fields`).

use std::fmt;

use serde::Deserialize;
use toml::Spanned;

/// A number written as a TOML integer or float (`lr = 1` is as good as `lr = 1.0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Number(pub(super) f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
        }
        d.deserialize_any(Visitor)
    }
}

pub(super) type Num = Spanned<Number>;
pub(super) type Int = Spanned<i64>;
pub(super) type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPreset {
    pub(super) title: Option<Text>,
    pub(super) about: Option<Text>,
    pub(super) experiment: Text,
    pub(super) seed: Option<Int>,
    pub(super) data: Option<Spanned<RawData>>,
    pub(super) model: Option<Spanned<RawModel>>,
    pub(super) runs: Option<Spanned<Vec<Spanned<RawRun>>>>,
    pub(super) show: Option<RawShow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawData {
    pub(super) source: Text,
    pub(super) per_class: Option<Int>,
    pub(super) spread: Option<Num>,
    pub(super) center: Option<Spanned<Vec<Num>>>,
    pub(super) path: Option<Text>,
    pub(super) size: Option<Int>,
    pub(super) rank: Option<Int>,
    pub(super) observed: Option<Num>,
    pub(super) matrix: Option<Text>,
    pub(super) mask: Option<Text>,
    pub(super) points: Option<Int>,
    pub(super) features: Option<Int>,
    pub(super) nonzeros: Option<Int>,
    pub(super) noise: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModel {
    pub(super) loss: Option<Text>,
    pub(super) bias: Option<Spanned<bool>>,
    pub(super) width: Option<Int>,
    pub(super) init_scale: Option<Num>,
    pub(super) init: Option<Spanned<Vec<Text>>>,
    pub(super) depth: Option<Int>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRun {
    pub(super) label: Option<Text>,
    pub(super) optimizer: Text,
    pub(super) lr: Num,
    pub(super) init: Option<Spanned<Vec<Num>>>,
    pub(super) init_scale: Option<Num>,
    pub(super) betas: Option<Spanned<Vec<Num>>>,
    pub(super) eps: Option<Num>,
    pub(super) momentum: Option<Num>,
    pub(super) nesterov: Option<Spanned<bool>>,
    pub(super) alpha: Option<Num>,
    pub(super) batch: Option<Int>,
    pub(super) schedule: Option<Text>,
    pub(super) normalize: Option<Text>,
    pub(super) p: Option<Num>,
    pub(super) depth: Option<Int>,
    pub(super) label_noise: Option<Num>,
    pub(super) label_noise_decay: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawShow {
    pub(super) steps: Option<Int>,
    pub(super) layout: Option<Text>,
    pub(super) references: Option<Spanned<Vec<Text>>>,
    pub(super) svd_every: Option<Int>,
}

/// Every key a preset may hold, by table, for "did you mean" suggestions.
pub(super) const KEYS: &[&str] = &[
    "title",
    "about",
    "experiment",
    "seed",
    "data",
    "model",
    "runs",
    "show",
    "source",
    "per_class",
    "spread",
    "center",
    "path",
    "size",
    "rank",
    "observed",
    "matrix",
    "mask",
    "points",
    "features",
    "nonzeros",
    "noise",
    "depth",
    "loss",
    "bias",
    "width",
    "init_scale",
    "init",
    "label",
    "optimizer",
    "lr",
    "betas",
    "eps",
    "momentum",
    "nesterov",
    "alpha",
    "batch",
    "schedule",
    "normalize",
    "p",
    "label_noise",
    "label_noise_decay",
    "steps",
    "layout",
    "references",
    "svd_every",
];
