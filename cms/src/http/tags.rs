//! OpenAPI tags.

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Published content for front-end sites.
    Delivery,
    /// Working copies, workflow and revisions for editors.
    Manage,
    /// Sign-in, sessions and accounts.
    Auth,
    /// Content type definitions.
    Schemas,
    /// Import, export and operations.
    Admin,
    /// Editor-supplied WebAssembly blocks.
    Plugins,
}
