//! The rows a plan needs, one statement per list field for all of its parents (as the
//! DataLoaders batch them), built by the same service functions as the generic path's (so
//! visibility, soft deletes, filters and order are the same SQL), but reading only the
//! columns the selection uses, decoded by position.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::{tag, todo, user};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, QuerySelect,
    QueryTrait, Statement, TryGetable,
};

use super::{
    inputs::Inputs,
    plan::{
        Arguments, ConnectionField, EdgeField, Fields, RootField, Slot, TagColumn, TagField,
        TodoColumn, TodoField, TodoList, UserColumn, UserField,
    },
};
use crate::{
    schema::{
        connection::page_args,
        todo_list::{TodoFilter, TodoOrder, todo_list_query},
    },
    service::{
        self,
        page::{Page, PageArgs, PageLimits, Window},
        todo::list::{Parent, TodoListQuery},
        viewer::Viewer,
    },
};

/// What one field of the plan fetched (see [`Slot`]).
#[derive(Default)]
pub enum Rows {
    /// Nothing (the field was skipped, or had no parents).
    #[default]
    None,
    /// `Query.users`.
    Users(Page<user::Model>),
    /// `Query.user`.
    User(Option<user::Model>),
    /// `Query.tag`.
    Tag(Option<tag::Model>),
    /// `Query.todos`, with the order its cursors follow.
    Todos(Page<todo::Model>, TodoListQuery),
    /// `User.todos` or `Tag.todos`: a page per parent id.
    TodoPages(HashMap<i32, Page<todo::Model>>, TodoListQuery),
    /// `Todo.owner`: the owners by id.
    Owners(HashMap<i32, user::Model>),
    /// `Todo.tags`: each todo's tags.
    Tags(HashMap<i32, Vec<tag::Model>>),
}

/// Why the compiled path gives an operation back to the generic path.
#[derive(Debug)]
pub struct GiveBack;

/// Fetches the rows of one operation.
pub struct Fetch<'a> {
    /// The pool (the request's statement counter counts through it).
    pub db: &'a DatabaseConnection,
    /// Whose visibility applies.
    pub viewer: Option<&'a Viewer>,
    /// Page sizes.
    pub limits: PageLimits,
    /// The request's variables.
    pub inputs: &'a Inputs<'a>,
    /// What each field fetched.
    pub slots: Vec<Rows>,
}

type Fetched = Result<(), GiveBack>;

impl Fetch<'_> {
    fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The included fields of `fields`.
    fn included<'f, K>(
        &self,
        fields: &'f Fields<K>,
    ) -> Result<impl Iterator<Item = &'f K> + use<'f, K>, GiveBack> {
        let mut kinds = Vec::with_capacity(fields.0.len());
        for field in &fields.0 {
            if self.inputs.includes(field).ok_or(GiveBack)? {
                kinds.push(&field.kind);
            }
        }
        Ok(kinds.into_iter())
    }

    /// The node selections of a connection (`nodes`, `edges { node }`).
    fn node_selections<'f, N>(
        &self,
        connection: &'f Fields<ConnectionField<N>>,
    ) -> Result<Vec<&'f Fields<N>>, GiveBack> {
        let mut selections = Vec::new();
        for field in self.included(connection)? {
            match field {
                ConnectionField::Nodes(nodes) => selections.push(nodes),
                ConnectionField::Edges(edge) => {
                    for field in self.included(edge)? {
                        if let EdgeField::Node(node) = field {
                            selections.push(node);
                        }
                    }
                }
                ConnectionField::Typename | ConnectionField::PageInfo(_) => {}
            }
        }
        Ok(selections)
    }

    async fn rows(&self, statement: Statement) -> Result<Vec<QueryResult>, GiveBack> {
        self.db.query_all_raw(statement).await.map_err(|err| {
            // The generic path runs it again and reports the error as it reports any.
            tracing::warn!(%err, "a compiled operation's statement failed");
            GiveBack
        })
    }

    /// The Relay arguments of a connection field.
    fn page_args(&self, arguments: &Arguments) -> Result<PageArgs, GiveBack> {
        let inputs = self.inputs;
        Ok(page_args(
            inputs.argument(arguments, "first").ok_or(GiveBack)?,
            inputs.argument(arguments, "after").ok_or(GiveBack)?,
            inputs.argument(arguments, "last").ok_or(GiveBack)?,
            inputs.argument(arguments, "before").ok_or(GiveBack)?,
        ))
    }

    fn window(&self, arguments: &Arguments, ordering: &str) -> Result<Window, GiveBack> {
        Window::new(&self.page_args(arguments)?, self.limits, ordering).map_err(|_| GiveBack)
    }

    fn todo_query(&self, list: &TodoList) -> Result<TodoListQuery, GiveBack> {
        let inputs = self.inputs;
        let filter: Option<TodoFilter> =
            inputs.argument(&list.arguments, "filter").ok_or(GiveBack)?;
        let order: Option<TodoOrder> = inputs
            .argument(&list.arguments, "orderBy")
            .ok_or(GiveBack)?;
        let args = self.page_args(&list.arguments)?;
        todo_list_query(self.limits, args, filter, order, false).map_err(|_| GiveBack)
    }

    /// Fetches everything the root fields need.
    pub async fn root(&mut self, fields: &Fields<RootField>) -> Fetched {
        for field in self.included(fields)? {
            match field {
                RootField::Typename => {}
                RootField::Users {
                    arguments,
                    slot,
                    connection,
                } => {
                    let window = self.window(arguments, service::user::ORDERING)?;
                    let search: Option<String> =
                        self.inputs.argument(arguments, "search").ok_or(GiveBack)?;
                    let selections = self.node_selections(connection)?;
                    let columns = self.user_columns(&selections)?;
                    let statement = service::user::page_select(search.as_deref(), &window)
                        .select_only()
                        .columns(columns.iter().copied())
                        .build(self.backend());
                    let users =
                        decode_all(&self.rows(statement).await?, |row| user_of(row, &columns))?;
                    let page = window.finish(users);
                    self.user_children(&selections, &page.items).await?;
                    self.put(*slot, Rows::Users(page));
                }
                RootField::User {
                    arguments,
                    slot,
                    fields,
                } => {
                    let username: String = self
                        .inputs
                        .argument(arguments, "username")
                        .ok_or(GiveBack)?;
                    let columns = self.user_columns(&[fields])?;
                    let statement = service::user::by_username_select(&username)
                        .select_only()
                        .columns(columns.iter().copied())
                        .limit(1)
                        .build(self.backend());
                    let user =
                        decode_all(&self.rows(statement).await?, |row| user_of(row, &columns))?
                            .into_iter()
                            .next();
                    self.user_children(&[fields], user.as_slice()).await?;
                    self.put(*slot, Rows::User(user));
                }
                RootField::Tag {
                    arguments,
                    slot,
                    fields,
                } => {
                    let name: String = self.inputs.argument(arguments, "name").ok_or(GiveBack)?;
                    let columns = self.tag_columns(&[fields])?;
                    let statement = service::tag::by_name_select(&name)
                        .select_only()
                        .columns(columns.iter().copied())
                        .limit(1)
                        .build(self.backend());
                    let tag =
                        decode_all(&self.rows(statement).await?, |row| tag_of(row, &columns, 0))?
                            .into_iter()
                            .next();
                    if let Some(tag) = &tag {
                        for field in self.included(fields)? {
                            if let TagField::Todos(list) = field {
                                self.todo_pages(list, Parent::Tag, &[tag.id]).await?;
                            }
                        }
                    }
                    self.put(*slot, Rows::Tag(tag));
                }
                RootField::Todos(list) => {
                    let query = self.todo_query(list)?;
                    let selections = self.node_selections(&list.connection)?;
                    let columns = self.todo_columns(&selections, &query)?;
                    let page = match service::todo::list::page_statement_of_columns(
                        self.backend(),
                        self.viewer,
                        &query,
                        &columns,
                    ) {
                        None => Page::empty(),
                        Some(statement) => {
                            let rows = self.rows(statement).await?;
                            let todos = decode_all(&rows, |row| todo_of(row, &columns))?;
                            query.window.finish(todos)
                        }
                    };
                    self.todo_children(&selections, &page.items).await?;
                    self.put(list.slot, Rows::Todos(page, query));
                }
            }
        }
        Ok(())
    }

    fn put(&mut self, slot: Slot, rows: Rows) {
        if let Some(place) = self.slots.get_mut(slot) {
            *place = rows;
        }
    }

    /// The lists under `users`.
    async fn user_children(
        &mut self,
        selections: &[&Fields<UserField>],
        users: &[user::Model],
    ) -> Fetched {
        if users.is_empty() {
            return Ok(());
        }
        let ids: Vec<i32> = users.iter().map(|user| user.id).collect();
        for fields in selections {
            for field in self.included(fields)? {
                if let UserField::Todos(list) = field {
                    self.todo_pages(list, Parent::Owner, &ids).await?;
                }
            }
        }
        Ok(())
    }

    /// One page of `list` per parent, in one statement, and what their todos need.
    async fn todo_pages(&mut self, list: &TodoList, parent: Parent, ids: &[i32]) -> Fetched {
        let query = self.todo_query(list)?;
        let selections = self.node_selections(&list.connection)?;
        let columns = self.todo_columns(&selections, &query)?;
        let mut pages: HashMap<i32, Vec<todo::Model>> = HashMap::new();
        if let Some(statement) = service::todo::list::pages_statement_of_columns(
            self.backend(),
            self.viewer,
            parent,
            ids,
            &query,
            &columns,
        ) {
            for row in self.rows(statement).await? {
                let parent_id: i32 = get(&row, columns.len())?;
                pages
                    .entry(parent_id)
                    .or_default()
                    .push(todo_of(&row, &columns)?);
            }
        }
        // As the loader answers: a parent without rows gets an empty page of the window.
        let pages: HashMap<i32, Page<todo::Model>> = ids
            .iter()
            .map(|id| {
                let rows = pages.remove(id).unwrap_or_default();
                (*id, query.window.finish(rows))
            })
            .collect();
        let todos: Vec<&todo::Model> = pages.values().flat_map(|page| &page.items).collect();
        self.todo_children_of(&selections, &todos).await?;
        self.put(list.slot, Rows::TodoPages(pages, query));
        Ok(())
    }

    async fn todo_children(
        &mut self,
        selections: &[&Fields<TodoField>],
        todos: &[todo::Model],
    ) -> Fetched {
        let todos: Vec<&todo::Model> = todos.iter().collect();
        self.todo_children_of(selections, &todos).await
    }

    /// The owners and tags of `todos`, one statement per field.
    async fn todo_children_of(
        &mut self,
        selections: &[&Fields<TodoField>],
        todos: &[&todo::Model],
    ) -> Fetched {
        if todos.is_empty() {
            return Ok(());
        }
        for fields in selections {
            for field in self.included(fields)? {
                match field {
                    TodoField::Owner { slot, fields } => {
                        let ids: BTreeSet<i32> = todos.iter().map(|todo| todo.user_id).collect();
                        let ids: Vec<i32> = ids.into_iter().collect();
                        let columns = self.user_columns(&[fields])?;
                        let statement = service::user::by_ids_select(&ids)
                            .select_only()
                            .columns(columns.iter().copied())
                            .build(self.backend());
                        let owners =
                            decode_all(&self.rows(statement).await?, |row| user_of(row, &columns))?;
                        let owners = owners.into_iter().map(|user| (user.id, user)).collect();
                        self.put(*slot, Rows::Owners(owners));
                    }
                    TodoField::Tags { slot, fields } => {
                        let ids: Vec<i32> = todos.iter().map(|todo| todo.id).collect();
                        let columns = self.tag_columns(&[fields])?;
                        let statement =
                            service::tag::by_todo_statement(self.backend(), &ids, &columns);
                        let rows = self.rows(statement).await?;
                        let rows = decode_all(&rows, |row| {
                            Ok((get::<i32>(row, 0)?, tag_of(row, &columns, 1)?))
                        })?;
                        self.put(*slot, Rows::Tags(service::tag::per_todo(rows.into_iter())));
                    }
                    TodoField::Typename | TodoField::Column(_) => {}
                }
            }
        }
        Ok(())
    }

    /// The columns of `users` the selections read: the id (children hang off it) and the
    /// username (the cursor) always.
    fn user_columns(
        &self,
        selections: &[&Fields<UserField>],
    ) -> Result<Vec<user::Column>, GiveBack> {
        let mut columns = vec![user::Column::Id, user::Column::Username];
        for fields in selections {
            for field in self.included(fields)? {
                if let UserField::Column(column) = field {
                    let column = match column {
                        UserColumn::Id | UserColumn::Username => continue,
                        UserColumn::Email => user::Column::Email,
                        UserColumn::AvatarUrl => user::Column::AvatarUrl,
                        UserColumn::Bio => user::Column::Bio,
                        UserColumn::IsActive => user::Column::IsActive,
                        UserColumn::Role => user::Column::Role,
                        UserColumn::LastLoginAt => user::Column::LastLoginAt,
                        UserColumn::CreatedAt => user::Column::CreatedAt,
                        UserColumn::UpdatedAt => user::Column::UpdatedAt,
                    };
                    add(&mut columns, column);
                }
            }
        }
        Ok(columns)
    }

    /// The columns of `todos` the selections read: the id always, the owner's id when an
    /// owner is selected, the sort key (cursors).
    fn todo_columns(
        &self,
        selections: &[&Fields<TodoField>],
        query: &TodoListQuery,
    ) -> Result<Vec<todo::Column>, GiveBack> {
        let mut columns = vec![todo::Column::Id];
        add(&mut columns, query.order.field.column());
        for fields in selections {
            for field in self.included(fields)? {
                match field {
                    TodoField::Column(column) => add(
                        &mut columns,
                        match column {
                            TodoColumn::Id => todo::Column::Id,
                            TodoColumn::Title => todo::Column::Title,
                            TodoColumn::Description => todo::Column::Description,
                            TodoColumn::Priority => todo::Column::Priority,
                            TodoColumn::Completed => todo::Column::Completed,
                            TodoColumn::DueDate => todo::Column::DueDate,
                            TodoColumn::CompletedAt => todo::Column::CompletedAt,
                            TodoColumn::DeletedAt => todo::Column::DeletedAt,
                            TodoColumn::CreatedAt => todo::Column::CreatedAt,
                            TodoColumn::UpdatedAt => todo::Column::UpdatedAt,
                            TodoColumn::Version => todo::Column::Version,
                        },
                    ),
                    TodoField::Owner { .. } => add(&mut columns, todo::Column::UserId),
                    TodoField::Typename | TodoField::Tags { .. } => {}
                }
            }
        }
        Ok(columns)
    }

    /// The columns of `tags` the selections read: the id always.
    fn tag_columns(&self, selections: &[&Fields<TagField>]) -> Result<Vec<tag::Column>, GiveBack> {
        let mut columns = vec![tag::Column::Id];
        for fields in selections {
            for field in self.included(fields)? {
                if let TagField::Column(column) = field {
                    let column = match column {
                        TagColumn::Id => continue,
                        TagColumn::Name => tag::Column::Name,
                        TagColumn::Color => tag::Column::Color,
                        TagColumn::CreatedAt => tag::Column::CreatedAt,
                    };
                    add(&mut columns, column);
                }
            }
        }
        Ok(columns)
    }
}

/// Adds `column` unless it is there (SeaORM's columns are not `PartialEq`).
fn add<C>(columns: &mut Vec<C>, column: C) {
    let new = std::mem::discriminant(&column);
    if !columns
        .iter()
        .any(|known| std::mem::discriminant(known) == new)
    {
        columns.push(column);
    }
}

fn decode_all<T>(
    rows: &[QueryResult],
    decode: impl Fn(&QueryResult) -> Result<T, GiveBack>,
) -> Result<Vec<T>, GiveBack> {
    rows.iter().map(decode).collect()
}

fn get<T: TryGetable>(row: &QueryResult, index: usize) -> Result<T, GiveBack> {
    row.try_get_by_index(index).map_err(|err| {
        tracing::warn!(%err, index, "a compiled operation could not decode a column");
        GiveBack
    })
}

fn enum_of<E: ActiveEnum<Value = String>>(row: &QueryResult, index: usize) -> Result<E, GiveBack> {
    E::try_from_value(&get::<String>(row, index)?).map_err(|_| GiveBack)
}

/// A time for the columns a row did not read; never written out.
const UNREAD: DateTime<Utc> = DateTime::<Utc>::UNIX_EPOCH;

/// A user from a row of `columns`, in that order; the columns not read are left blank.
fn user_of(row: &QueryResult, columns: &[user::Column]) -> Result<user::Model, GiveBack> {
    let mut user = user::Model {
        id: 0,
        email: String::new(),
        username: String::new(),
        password_hash: String::new(),
        avatar_url: None,
        bio: String::new(),
        is_active: false,
        role: user::Role::User,
        last_login_at: None,
        created_at: UNREAD,
        updated_at: UNREAD,
    };
    for (index, column) in columns.iter().enumerate() {
        match column {
            user::Column::Id => user.id = get(row, index)?,
            user::Column::Email => user.email = get(row, index)?,
            user::Column::Username => user.username = get(row, index)?,
            user::Column::AvatarUrl => user.avatar_url = get(row, index)?,
            user::Column::Bio => user.bio = get(row, index)?,
            user::Column::IsActive => user.is_active = get(row, index)?,
            user::Column::Role => user.role = enum_of(row, index)?,
            user::Column::LastLoginAt => user.last_login_at = get(row, index)?,
            user::Column::CreatedAt => user.created_at = get(row, index)?,
            user::Column::UpdatedAt => user.updated_at = get(row, index)?,
            user::Column::PasswordHash => return Err(GiveBack),
        }
    }
    Ok(user)
}

/// A todo from a row of `columns`, in that order; the columns not read are left blank.
fn todo_of(row: &QueryResult, columns: &[todo::Column]) -> Result<todo::Model, GiveBack> {
    let mut todo = todo::Model {
        id: 0,
        user_id: 0,
        title: String::new(),
        description: None,
        priority: todo::Priority::Medium,
        completed: false,
        due_date: None,
        completed_at: None,
        created_at: UNREAD,
        updated_at: UNREAD,
        version: 0,
        deleted_at: None,
    };
    for (index, column) in columns.iter().enumerate() {
        match column {
            todo::Column::Id => todo.id = get(row, index)?,
            todo::Column::UserId => todo.user_id = get(row, index)?,
            todo::Column::Title => todo.title = get(row, index)?,
            todo::Column::Description => todo.description = get(row, index)?,
            todo::Column::Priority => todo.priority = enum_of(row, index)?,
            todo::Column::Completed => todo.completed = get(row, index)?,
            todo::Column::DueDate => todo.due_date = get(row, index)?,
            todo::Column::CompletedAt => todo.completed_at = get(row, index)?,
            todo::Column::CreatedAt => todo.created_at = get(row, index)?,
            todo::Column::UpdatedAt => todo.updated_at = get(row, index)?,
            todo::Column::Version => todo.version = get(row, index)?,
            todo::Column::DeletedAt => todo.deleted_at = get(row, index)?,
        }
    }
    Ok(todo)
}

/// A tag from a row of `columns`, starting at column `from`.
fn tag_of(row: &QueryResult, columns: &[tag::Column], from: usize) -> Result<tag::Model, GiveBack> {
    let mut tag = tag::Model {
        id: 0,
        name: String::new(),
        color: String::new(),
        created_at: UNREAD,
    };
    for (offset, column) in columns.iter().enumerate() {
        let index = from + offset;
        match column {
            tag::Column::Id => tag.id = get(row, index)?,
            tag::Column::Name => tag.name = get(row, index)?,
            tag::Column::Color => tag.color = get(row, index)?,
            tag::Column::CreatedAt => tag.created_at = get(row, index)?,
        }
    }
    Ok(tag)
}
