//! The preset file as serde reads it: every table and key with its span, nothing checked yet
//! beyond the shape (unknown keys and wrong types are refused with `deny_unknown_fields`).

use std::fmt;

use serde::Deserialize;
use toml::Spanned;

/// A number written as a TOML integer or float (`lr = 1` is as good as `lr = 1.0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number(pub(crate) f64);

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

pub(crate) type Num = Spanned<Number>;
pub(crate) type Int = Spanned<i64>;
pub(crate) type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPreset {
    pub(crate) title: Option<Text>,
    pub(crate) about: Option<Text>,
    pub(crate) experiment: Text,
    pub(crate) seed: Option<Int>,
    pub(crate) data: Option<Spanned<RawData>>,
    pub(crate) model: Option<Spanned<RawModel>>,
    pub(crate) runs: Option<Spanned<Vec<Spanned<RawRun>>>>,
    pub(crate) show: Option<RawShow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawData {
    pub(crate) source: Text,
    pub(crate) per_class: Option<Int>,
    pub(crate) spread: Option<Num>,
    pub(crate) center: Option<Spanned<Vec<Num>>>,
    pub(crate) path: Option<Text>,
    pub(crate) size: Option<Int>,
    pub(crate) rank: Option<Int>,
    pub(crate) observed: Option<Num>,
    pub(crate) matrix: Option<Text>,
    pub(crate) mask: Option<Text>,
    pub(crate) points: Option<Int>,
    pub(crate) features: Option<Int>,
    pub(crate) nonzeros: Option<Int>,
    pub(crate) noise: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModel {
    pub(crate) loss: Option<Text>,
    pub(crate) bias: Option<Spanned<bool>>,
    pub(crate) width: Option<Int>,
    pub(crate) init_scale: Option<Num>,
    pub(crate) init: Option<Spanned<Vec<Text>>>,
    pub(crate) depth: Option<Int>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRun {
    pub(crate) label: Option<Text>,
    pub(crate) optimizer: Text,
    pub(crate) lr: Num,
    pub(crate) init: Option<Spanned<Vec<Num>>>,
    pub(crate) init_scale: Option<Num>,
    pub(crate) betas: Option<Spanned<Vec<Num>>>,
    pub(crate) eps: Option<Num>,
    pub(crate) momentum: Option<Num>,
    pub(crate) nesterov: Option<Spanned<bool>>,
    pub(crate) alpha: Option<Num>,
    pub(crate) batch: Option<Int>,
    pub(crate) schedule: Option<Text>,
    pub(crate) normalize: Option<Text>,
    pub(crate) p: Option<Num>,
    pub(crate) depth: Option<Int>,
    pub(crate) label_noise: Option<Num>,
    pub(crate) label_noise_decay: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShow {
    pub(crate) steps: Option<Int>,
    pub(crate) layout: Option<Text>,
    pub(crate) references: Option<Spanned<Vec<Text>>>,
    pub(crate) svd_every: Option<Int>,
}

/// Every key a preset may hold, by table, for "did you mean" suggestions.
pub(crate) const KEYS: &[&str] = &[
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
