//! How the process Queue and Pipe turn items into bytes: [`Codec`], with [`Postcard`] (any
//! serde type, the default) and [`Raw`] (byte vectors as they are).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Error;

/// Encodes items into messages and decodes them back.
///
/// A message must fit the queue's maximum message size; encoding happens before anything is
/// queued, so an item that cannot be encoded or is too large changes nothing.
///
/// ```
/// use twinsync::process::{Codec, Postcard, Raw};
///
/// let mut scratch = Vec::new();
/// let bytes = <Postcard as Codec<(u8, String)>>::encode(&(7, "hi".into()), &mut scratch)
///     .unwrap()
///     .to_vec();
/// let back: (u8, String) = Postcard::decode(bytes).unwrap();
/// assert_eq!(back, (7, "hi".to_string()));
/// assert_eq!(Raw::encode(&vec![1, 2], &mut scratch).unwrap(), &[1, 2]);
/// ```
pub trait Codec<T> {
    /// The message for `item`: bytes written into `scratch` (which may hold anything on
    /// entry), or borrowed from `item` itself.
    ///
    /// # Errors
    ///
    /// [`Error::Codec`] when the item cannot be encoded.
    fn encode<'a>(item: &'a T, scratch: &'a mut Vec<u8>) -> Result<&'a [u8], Error>;

    /// The item a message holds.
    ///
    /// # Errors
    ///
    /// [`Error::Codec`] when the bytes are not exactly one encoded `T`.
    fn decode(message: Vec<u8>) -> Result<T, Error>;
}

/// The default codec: [postcard](https://docs.rs/postcard), a compact serde format, for any
/// `T: Serialize + DeserializeOwned`. Decoding is strict: trailing bytes are an error.
#[derive(Clone, Copy, Debug, Default)]
pub struct Postcard;

fn codec_error(e: impl std::fmt::Display) -> Error {
    Error::Codec {
        message: e.to_string(),
    }
}

impl<T: Serialize + DeserializeOwned> Codec<T> for Postcard {
    fn encode<'a>(item: &'a T, scratch: &'a mut Vec<u8>) -> Result<&'a [u8], Error> {
        let mut buf = std::mem::take(scratch);
        buf.clear();
        *scratch = postcard::to_extend(item, buf).map_err(codec_error)?;
        Ok(scratch)
    }

    fn decode(message: Vec<u8>) -> Result<T, Error> {
        let (item, rest) = postcard::take_from_bytes(&message).map_err(codec_error)?;
        if !rest.is_empty() {
            return Err(codec_error(format_args!(
                "{} bytes left over after the item",
                rest.len()
            )));
        }
        Ok(item)
    }
}

/// Messages are the bytes themselves: for `Vec<u8>` items, with no encoding at all (an empty
/// vector is an empty message).
#[derive(Clone, Copy, Debug, Default)]
pub struct Raw;

impl Codec<Vec<u8>> for Raw {
    fn encode<'a>(item: &'a Vec<u8>, _: &'a mut Vec<u8>) -> Result<&'a [u8], Error> {
        Ok(item)
    }

    fn decode(message: Vec<u8>) -> Result<Vec<u8>, Error> {
        Ok(message)
    }
}
