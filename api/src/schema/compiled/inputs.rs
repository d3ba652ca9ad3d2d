//! A plan's directives and arguments read against one request's variables, with the
//! schema's own input types (so a value is accepted exactly when the generic path accepts
//! it). `None` for anything they refuse: the generic path then answers with its error.

use async_graphql::{
    ID, InputType, Name, Variables,
    parser::types::{BaseType, Type, VariableDefinition},
};
use async_graphql_value::{ConstValue, Value};

use super::plan::{Arguments, Condition, PlannedField};
use crate::schema::{
    scalars::DateTime,
    todo::Priority,
    todo_list::{OrderDirection, TodoFilter, TodoOrder, TodoOrderField},
};

/// One request's variables, for one plan.
pub struct Inputs<'a> {
    /// The request's values.
    pub variables: &'a Variables,
    /// The operation's definitions (defaults, nullability).
    pub definitions: &'a [VariableDefinition],
}

impl Inputs<'_> {
    /// Whether every variable the operation defines has a value of its type, as
    /// async-graphql checks them before anything runs (those of skipped fields too).
    pub fn valid(&self) -> bool {
        self.definitions.iter().all(|definition| {
            self.variable(&definition.name.node)
                .is_some_and(|value| of_type(&definition.var_type.node, &value))
        })
    }

    /// `value` with its variables replaced as async-graphql replaces them: the request's
    /// value, else the definition's default (null for a nullable variable).
    fn constant(&self, value: &Value) -> Option<ConstValue> {
        value
            .clone()
            .into_const_with(|name| self.variable(&name).ok_or(()))
            .ok()
    }

    fn variable(&self, name: &Name) -> Option<ConstValue> {
        let definition = self
            .definitions
            .iter()
            .find(|definition| definition.name.node == *name)?;
        self.variables
            .get(name)
            .or_else(|| definition.default_value())
            .cloned()
    }

    /// Whether `field`'s conditions let it through; `None` when one cannot be read.
    pub fn includes<K>(&self, field: &PlannedField<K>) -> Option<bool> {
        for Condition { include, value } in &field.conditions {
            let value = bool::parse(Some(self.constant(value)?)).ok()?;
            if value != *include {
                return Some(false);
            }
        }
        Some(true)
    }

    /// Argument `name` of `arguments`, as type `T` (absent is `T`'s absence: `None` for an
    /// optional argument).
    pub fn argument<T: InputType>(&self, arguments: &Arguments, name: &str) -> Option<T> {
        let value = match arguments.iter().find(|(arg, _)| arg.as_str() == name) {
            Some((_, value)) => Some(self.constant(value)?),
            None => None,
        };
        T::parse(value).ok()
    }
}

/// Whether `value` is a value of `ty`, for the types the compiled path's operations use;
/// false for any other type.
fn of_type(ty: &Type, value: &ConstValue) -> bool {
    if *value == ConstValue::Null {
        return ty.nullable;
    }
    let parses = |name: &str, value: &ConstValue| {
        let value = Some(value.clone());
        match name {
            "Int" => i32::parse(value).is_ok(),
            "String" => String::parse(value).is_ok(),
            "Boolean" => bool::parse(value).is_ok(),
            "ID" => ID::parse(value).is_ok(),
            "TodoFilter" => TodoFilter::parse(value).is_ok(),
            "TodoOrder" => TodoOrder::parse(value).is_ok(),
            "Priority" => Priority::parse(value).is_ok(),
            "DateTime" => DateTime::parse(value).is_ok(),
            "TodoOrderField" => TodoOrderField::parse(value).is_ok(),
            "OrderDirection" => OrderDirection::parse(value).is_ok(),
            _ => false,
        }
    };
    match &ty.base {
        BaseType::Named(name) => parses(name.as_str(), value),
        // A single value where a list is expected is a list of one.
        BaseType::List(item) => match value {
            ConstValue::List(items) => items.iter().all(|value| of_type(item, value)),
            value => of_type(item, value),
        },
    }
}
