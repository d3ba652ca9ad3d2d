//! The response written straight from the fetched rows as JSON bytes, in the selection's
//! order, the way async-graphql would serialize it: the same names for enums and types,
//! the same IDs, times and nulls, and the private fields of users hidden by the same rule.

use async_graphql::resolver_utils::EnumType;
use chrono::{DateTime, SecondsFormat, Utc};
use entity::{tag, todo, user};

use super::{
    fetch::{GiveBack, Rows},
    inputs::Inputs,
    plan::{
        ConnectionField, EdgeField, Fields, PageInfoField, PlannedField, RootField, TagColumn,
        TagField, TodoColumn, TodoField, TodoList, UserColumn, UserField,
    },
};
use crate::{
    schema::{
        node::{NodeType, push_global_id},
        todo::Priority,
        user::Role,
    },
    service::{self, page::Page, todo::list::TodoListQuery, viewer::Viewer},
};

type Written = Result<(), GiveBack>;

/// Writes one response.
pub struct Writer<'a> {
    /// The bytes so far.
    pub out: Vec<u8>,
    /// The most bytes the response may take; past it the generic path answers (with its
    /// TOO_COMPLEX error).
    pub max_bytes: usize,
    /// The request's variables.
    pub inputs: &'a Inputs<'a>,
    /// Whose visibility applies.
    pub viewer: Option<&'a Viewer>,
    /// What the fields fetched.
    pub slots: &'a [Rows],
}

impl<'a> Writer<'a> {
    /// `{"data":{...},"extensions":{"cost":...}}`, as the generic path's response
    /// serializes (its cost extension is a JSON object, whose keys are sorted).
    pub fn response(&mut self, root: &Fields<RootField>, cost: u64, max_cost: u64) -> Written {
        self.out.extend_from_slice(b"{\"data\":");
        self.object(root, |this, field| this.root_field(field))?;
        let extensions =
            format!(",\"extensions\":{{\"cost\":{{\"limit\":{max_cost},\"requested\":{cost}}}}}}}");
        self.out.extend_from_slice(extensions.as_bytes());
        Ok(())
    }

    fn slot(&self, slot: usize) -> Result<&'a Rows, GiveBack> {
        self.slots.get(slot).ok_or(GiveBack)
    }

    /// `{` the included fields of `fields`, each `"key":` then `value` `}`; `null` when
    /// none is included.
    fn object<K>(
        &mut self,
        fields: &Fields<K>,
        mut value: impl FnMut(&mut Self, &K) -> Written,
    ) -> Written {
        self.out.push(b'{');
        let mut first = true;
        let inputs = self.inputs;
        for PlannedField { key, kind, .. } in fields.0.iter().filter(|field| {
            // Read by the fetch already: a condition that cannot be read gave the
            // operation back before anything was written.
            inputs.includes(field).unwrap_or(false)
        }) {
            if !first {
                self.out.push(b',');
            }
            first = false;
            self.out.extend_from_slice(key.as_bytes());
            value(self, kind)?;
        }
        if first {
            // async-graphql answers an object whose every field is skipped with null, not
            // `{}` (whatever its type's nullability); so must we.
            self.out.pop();
            return self.null();
        }
        self.out.push(b'}');
        Ok(())
    }

    /// `[` each item through `item` `]`, stopping once the response is too large.
    fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T) -> Written) -> Written {
        self.out.push(b'[');
        for (n, value) in items.iter().enumerate() {
            if n > 0 {
                self.out.push(b',');
            }
            item(self, value)?;
            if self.out.len() > self.max_bytes {
                return Err(GiveBack);
            }
        }
        self.out.push(b']');
        Ok(())
    }

    fn root_field(&mut self, field: &RootField) -> Written {
        match field {
            RootField::Typename => self.string("Query"),
            RootField::Users {
                slot, connection, ..
            } => {
                let Rows::Users(page) = self.slot(*slot)? else {
                    return Err(GiveBack);
                };
                let names = ("UserConnection", "UserEdge");
                self.connection(
                    connection,
                    page,
                    names,
                    |user| service::user::cursor(user).encode(),
                    Self::user,
                )
            }
            RootField::User { slot, fields, .. } => match self.slot(*slot)? {
                Rows::User(Some(user)) => self.user(fields, user),
                Rows::User(None) => self.null(),
                _ => Err(GiveBack),
            },
            RootField::Tag { slot, fields, .. } => match self.slot(*slot)? {
                Rows::Tag(Some(tag)) => self.tag(fields, tag),
                Rows::Tag(None) => self.null(),
                _ => Err(GiveBack),
            },
            RootField::Todos(list) => {
                let Rows::Todos(page, query) = self.slot(list.slot)? else {
                    return Err(GiveBack);
                };
                self.todo_connection(list, page, query)
            }
        }
    }

    /// `list`'s page of parent `id`.
    fn todo_page(&mut self, list: &TodoList, id: i32) -> Written {
        let Rows::TodoPages(pages, query) = self.slot(list.slot)? else {
            return Err(GiveBack);
        };
        let page = pages.get(&id).ok_or(GiveBack)?;
        self.todo_connection(list, page, query)
    }

    fn todo_connection(
        &mut self,
        list: &TodoList,
        page: &Page<todo::Model>,
        query: &TodoListQuery,
    ) -> Written {
        let order = query.order;
        self.connection(
            &list.connection,
            page,
            ("TodoConnection", "TodoEdge"),
            |todo| order.cursor(todo).encode(),
            Self::todo,
        )
    }

    fn connection<N, M>(
        &mut self,
        fields: &Fields<ConnectionField<N>>,
        page: &Page<M>,
        (connection, edge): (&str, &str),
        cursor: impl Fn(&M) -> String,
        node: fn(&mut Self, &Fields<N>, &M) -> Written,
    ) -> Written {
        self.object(fields, |this, field| match field {
            ConnectionField::Typename => this.string(connection),
            ConnectionField::Nodes(fields) => {
                this.list(&page.items, |this, item| node(this, fields, item))
            }
            ConnectionField::Edges(fields) => this.list(&page.items, |this, item| {
                this.object(fields, |this, field| match field {
                    EdgeField::Typename => this.string(edge),
                    EdgeField::Cursor => this.string(&cursor(item)),
                    EdgeField::Node(fields) => node(this, fields, item),
                })
            }),
            ConnectionField::PageInfo(fields) => this.object(fields, |this, field| match field {
                PageInfoField::Typename => this.string("PageInfo"),
                PageInfoField::HasNextPage => this.boolean(page.has_next),
                PageInfoField::HasPreviousPage => this.boolean(page.has_previous),
                PageInfoField::StartCursor => match page.items.first() {
                    Some(item) => this.string(&cursor(item)),
                    None => this.null(),
                },
                PageInfoField::EndCursor => match page.items.last() {
                    Some(item) => this.string(&cursor(item)),
                    None => this.null(),
                },
            }),
        })
    }

    fn user(&mut self, fields: &Fields<UserField>, user: &user::Model) -> Written {
        // The rule of `User::is_private_visible`, for users that are not a session's owner
        // (those are only in sign-up and log-in payloads).
        let private = self
            .viewer
            .is_some_and(|viewer| viewer.can_see_private_data_of(user.id));
        self.object(fields, |this, field| match field {
            UserField::Typename => this.string("User"),
            UserField::Todos(list) => this.todo_page(list, user.id),
            UserField::Column(column) => match column {
                UserColumn::Id => this.global_id(NodeType::User, user.id),
                UserColumn::Username => this.string(&user.username),
                UserColumn::Email if private => this.string(&user.email),
                UserColumn::Email => this.null(),
                UserColumn::AvatarUrl => this.optional_string(user.avatar_url.as_deref()),
                UserColumn::Bio => this.string(&user.bio),
                UserColumn::IsActive => this.boolean(user.is_active),
                UserColumn::Role => this.enumeration(Role::from(user.role)),
                UserColumn::LastLoginAt => this.time(user.last_login_at.filter(|_| private)),
                UserColumn::CreatedAt => this.time(Some(user.created_at)),
                UserColumn::UpdatedAt => this.time(Some(user.updated_at)),
            },
        })
    }

    fn todo(&mut self, fields: &Fields<TodoField>, todo: &todo::Model) -> Written {
        self.object(fields, |this, field| match field {
            TodoField::Typename => this.string("Todo"),
            TodoField::Owner { slot, fields } => {
                let Rows::Owners(owners) = this.slot(*slot)? else {
                    return Err(GiveBack);
                };
                let owner = owners.get(&todo.user_id).ok_or(GiveBack)?;
                this.user(fields, owner)
            }
            TodoField::Tags { slot, fields } => {
                let Rows::Tags(tags) = this.slot(*slot)? else {
                    return Err(GiveBack);
                };
                let tags = tags.get(&todo.id).map_or(&[][..], Vec::as_slice);
                this.list(tags, |this, tag| this.tag(fields, tag))
            }
            TodoField::Column(column) => match column {
                TodoColumn::Id => this.global_id(NodeType::Todo, todo.id),
                TodoColumn::Title => this.string(&todo.title),
                TodoColumn::Description => this.optional_string(todo.description.as_deref()),
                TodoColumn::Priority => this.enumeration(Priority::from(todo.priority)),
                TodoColumn::Completed => this.boolean(todo.completed),
                TodoColumn::DueDate => this.time(todo.due_date),
                TodoColumn::CompletedAt => this.time(todo.completed_at),
                TodoColumn::DeletedAt => this.time(todo.deleted_at),
                TodoColumn::CreatedAt => this.time(Some(todo.created_at)),
                TodoColumn::UpdatedAt => this.time(Some(todo.updated_at)),
                TodoColumn::Version => {
                    this.out
                        .extend_from_slice(todo.version.to_string().as_bytes());
                    Ok(())
                }
            },
        })
    }

    fn tag(&mut self, fields: &Fields<TagField>, tag: &tag::Model) -> Written {
        self.object(fields, |this, field| match field {
            TagField::Typename => this.string("Tag"),
            TagField::Todos(list) => this.todo_page(list, tag.id),
            TagField::Column(column) => match column {
                TagColumn::Id => this.global_id(NodeType::Tag, tag.id),
                TagColumn::Name => this.string(&tag.name),
                TagColumn::Color => this.string(&tag.color),
                TagColumn::CreatedAt => this.time(Some(tag.created_at)),
            },
        })
    }

    fn string(&mut self, text: &str) -> Written {
        serde_json::to_writer(&mut self.out, text).map_err(|_| GiveBack)
    }

    /// An `ID` (base64 needs no escaping).
    fn global_id(&mut self, node_type: NodeType, id: i32) -> Written {
        self.out.push(b'"');
        push_global_id(&mut self.out, node_type, id);
        self.out.push(b'"');
        Ok(())
    }

    fn optional_string(&mut self, text: Option<&str>) -> Written {
        match text {
            Some(text) => self.string(text),
            None => self.null(),
        }
    }

    fn null(&mut self) -> Written {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn boolean(&mut self, value: bool) -> Written {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    /// A `DateTime` as the scalar writes it (`schema::scalars::DateTime`).
    fn time(&mut self, at: Option<DateTime<Utc>>) -> Written {
        match at {
            Some(at) => self.string(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => self.null(),
        }
    }

    /// An enum value by its name in the schema.
    fn enumeration<E: EnumType>(&mut self, value: E) -> Written {
        let item = E::items()
            .iter()
            .find(|item| item.value == value)
            .ok_or(GiveBack)?;
        self.string(item.name)
    }
}
