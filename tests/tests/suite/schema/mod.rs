//! The schema as clients and the database see it: schema.graphql ([`sdl`]), introspection,
//! and the migrated database against the entities ([`entities`]).

mod entities;
mod introspection;
mod sdl;
