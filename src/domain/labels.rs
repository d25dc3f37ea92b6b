//! Enumerations whose values appear in the sheets as Chinese words.

/// Declares an enum whose variants are written in the sheets as a Chinese label, have an
/// English label for `--lang en`, and may be spelled by a few aliases.
macro_rules! labelled_enum {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $zh:literal, $en:literal $(, $alias:literal)*;)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The word the national system uses, which is also how the store keeps it.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }

            pub fn label(self, lang: $crate::i18n::Lang) -> &'static str {
                match lang {
                    $crate::i18n::Lang::Zh => self.label_zh(),
                    $crate::i18n::Lang::En => self.label_en(),
                }
            }

            /// Accepts the Chinese label, the English label (any case) or an alias.
            pub fn parse(text: &str) -> Option<$name> {
                let t = text.trim();
                $(
                    if t == $zh || t.eq_ignore_ascii_case($en) $(|| t.eq_ignore_ascii_case($alias))* {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            /// The Chinese labels joined for an error message: `小学、初级中学、…`.
            pub fn choices_zh() -> String {
                [$($zh),+].join("、")
            }
        }
    };
}

pub(crate) use labelled_enum;
