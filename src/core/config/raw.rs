//! The preset file as serde reads it: every table and key with its span, nothing checked yet
//! beyond the shape.
//!
//! The tables are typed per kind: each kind's `preset.rs` declares its `[data]`, `[model]`,
//! `[[runs]]` and `[show]` structs (runs and show through [`run_table!`] and [`show_table!`],
//! which add the keys every kind shares), and [`RawPreset`] puts them under the top-level keys.
//! The keys a table accepts are read from those types ([`keys_of`]), so did-you-mean and "does
//! not apply to this kind" come from the types, not from a list kept by hand.

use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;
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

/// A whole preset whose tables are a kind's types: `D` for `[data]`, `M` for `[model]`, `R`
/// for each `[[runs]]`, `S` for `[show]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPreset<D, M, R, S> {
    pub(crate) title: Option<Text>,
    pub(crate) about: Option<Text>,
    /// Read first, on its own (it picks the types of the other tables); a field here so that
    /// the top level accepts it.
    #[serde(rename = "experiment")]
    pub(crate) _experiment: Text,
    pub(crate) seed: Option<Int>,
    pub(crate) data: Option<Spanned<D>>,
    pub(crate) model: Option<Spanned<M>>,
    pub(crate) runs: Option<Spanned<Vec<Spanned<R>>>>,
    pub(crate) show: Option<S>,
}

/// The keys every kind's runs take: the optimizer and its options (checked by core's
/// `OptimizerOptions`, see `config/optimizer.rs`), read through [`RunKeys`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptimizerKeys<'a> {
    pub(crate) label: Option<&'a Text>,
    pub(crate) optimizer: &'a Text,
    pub(crate) lr: &'a Num,
    pub(crate) betas: Option<&'a Spanned<Vec<Num>>>,
    pub(crate) eps: Option<&'a Num>,
    pub(crate) momentum: Option<&'a Num>,
    pub(crate) nesterov: Option<&'a Spanned<bool>>,
    pub(crate) alpha: Option<&'a Num>,
    pub(crate) batch: Option<&'a Int>,
    pub(crate) schedule: Option<&'a Text>,
    pub(crate) normalize: Option<&'a Text>,
    pub(crate) p: Option<&'a Num>,
}

/// A kind's `[[runs]]` table: its optimizer keys, whatever else it holds.
pub(crate) trait RunKeys {
    /// The optimizer and its options as written.
    fn optimizer_keys(&self) -> OptimizerKeys<'_>;
}

/// A kind's `[show]` table: the number of steps, whatever else it holds.
pub(crate) trait ShowKeys {
    /// `steps`, as written.
    fn steps(&self) -> Option<&Int>;
}

/// Declares a kind's `[[runs]]` struct: the optimizer keys every kind shares, then the kind's
/// own (`name: Type,` each), with [`RunKeys`].
macro_rules! run_table {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $type:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct $name {
            pub(crate) label: Option<$crate::core::config::raw::Text>,
            pub(crate) optimizer: $crate::core::config::raw::Text,
            pub(crate) lr: $crate::core::config::raw::Num,
            pub(crate) betas: Option<toml::Spanned<Vec<$crate::core::config::raw::Num>>>,
            pub(crate) eps: Option<$crate::core::config::raw::Num>,
            pub(crate) momentum: Option<$crate::core::config::raw::Num>,
            pub(crate) nesterov: Option<toml::Spanned<bool>>,
            pub(crate) alpha: Option<$crate::core::config::raw::Num>,
            pub(crate) batch: Option<$crate::core::config::raw::Int>,
            pub(crate) schedule: Option<$crate::core::config::raw::Text>,
            pub(crate) normalize: Option<$crate::core::config::raw::Text>,
            pub(crate) p: Option<$crate::core::config::raw::Num>,
            $(pub(crate) $field: $type,)*
        }

        impl $crate::core::config::raw::RunKeys for $name {
            fn optimizer_keys(&self) -> $crate::core::config::raw::OptimizerKeys<'_> {
                $crate::core::config::raw::OptimizerKeys {
                    label: self.label.as_ref(),
                    optimizer: &self.optimizer,
                    lr: &self.lr,
                    betas: self.betas.as_ref(),
                    eps: self.eps.as_ref(),
                    momentum: self.momentum.as_ref(),
                    nesterov: self.nesterov.as_ref(),
                    alpha: self.alpha.as_ref(),
                    batch: self.batch.as_ref(),
                    schedule: self.schedule.as_ref(),
                    normalize: self.normalize.as_ref(),
                    p: self.p.as_ref(),
                }
            }
        }
    };
}
pub(crate) use run_table;

/// Declares a kind's `[show]` struct: `steps`, which every kind takes, then the kind's own,
/// with [`ShowKeys`].
macro_rules! show_table {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $type:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct $name {
            pub(crate) steps: Option<$crate::core::config::raw::Int>,
            $(pub(crate) $field: $type,)*
        }

        impl $crate::core::config::raw::ShowKeys for $name {
            fn steps(&self) -> Option<&$crate::core::config::raw::Int> {
                self.steps.as_ref()
            }
        }
    };
}
pub(crate) use show_table;

/// The keys each table of a kind's preset accepts, read from its types.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableKeys {
    /// The top level: title, about, experiment, seed and the tables.
    pub(crate) top: &'static [&'static str],
    /// `[data]`.
    pub(crate) data: &'static [&'static str],
    /// `[model]`.
    pub(crate) model: &'static [&'static str],
    /// Each `[[runs]]`.
    pub(crate) runs: &'static [&'static str],
    /// `[show]`.
    pub(crate) show: &'static [&'static str],
}

impl TableKeys {
    /// The keys of the preset `RawPreset<D, M, R, S>`.
    pub(crate) fn of<D, M, R, S>() -> Self
    where
        D: DeserializeOwned,
        M: DeserializeOwned,
        R: DeserializeOwned,
        S: DeserializeOwned,
    {
        Self {
            top: keys_of::<RawPreset<D, M, R, S>>(),
            data: keys_of::<D>(),
            model: keys_of::<M>(),
            runs: keys_of::<R>(),
            show: keys_of::<S>(),
        }
    }

    /// The keys of table `table` (`""` for the top level).
    pub(crate) fn of_table(&self, table: &str) -> &'static [&'static str] {
        match table {
            "data" => self.data,
            "model" => self.model,
            "runs" => self.runs,
            "show" => self.show,
            _ => self.top,
        }
    }

    /// The `[model]` keys a run may also set for itself: the fields the two tables' types
    /// share (`init_scale`, `init`, `depth` for some kinds).
    pub(crate) fn shadowed(&self) -> Vec<&'static str> {
        self.model
            .iter()
            .copied()
            .filter(|key| self.runs.contains(key))
            .collect()
    }
}

/// The field names a serde-derived struct asks for, captured from its `deserialize_struct` call.
pub(crate) fn keys_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut capture = FieldCapture(&[]);
    // Always an error: the capture stops right after it is handed the names.
    let _ = T::deserialize(&mut capture);
    capture.0
}

/// A deserializer that only records the field names of the struct asked of it.
struct FieldCapture(&'static [&'static str]);

impl<'de> serde::Deserializer<'de> for &mut FieldCapture {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom(
            "only a struct's field names are read",
        ))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields;
        Err(serde::de::Error::custom("field names read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
