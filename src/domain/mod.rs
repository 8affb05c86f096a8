//! Pure procurement rules: specs and CPV, validation, bundling, law and savings. No I/O, no
//! clock: callers pass `today`.

pub mod bundling;
pub mod demand;
pub mod import;
pub mod money;
pub mod procedure;
pub mod proposal;
pub mod reports;
pub mod savings;
pub mod settings;
pub mod spec;
pub mod splitting;
pub mod unit;
pub mod validation;
pub mod webhooks;

/// Declares a closed enum with its snake_case wire names, so parsing, rendering and the
/// "must be one of" messages come from one list.
macro_rules! closed_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($wire => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::domain::validation::ClosedEnum for $name {
            fn parse(text: &str) -> Option<Self> { $name::parse(text) }
            fn wire_names() -> Vec<&'static str> { $name::ALL.iter().map(|v| v.as_str()).collect() }
        }
    };
}
pub(crate) use closed_enum;
