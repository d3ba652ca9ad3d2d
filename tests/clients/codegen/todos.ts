// The operations of a small client, as an app using graphql-codegen's client preset writes
// them: `graphql()` comes from the preset's generated module. tests/clients/manifests.mjs
// runs the preset on this file; nothing imports it.
import { graphql } from './gql';

export const signUp = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        username
      }
    }
  }
`);

export const createTodo = graphql(`
  mutation CreateTodo($input: CreateTodoInput!) {
    createTodo(input: $input) {
      title
      completed
      tags {
        name
      }
    }
  }
`);

export const myTodos = graphql(`
  query MyTodos($first: Int!) {
    viewer {
      username
      todos(first: $first) {
        totalCount
        nodes {
          title
          completed
        }
      }
    }
  }
`);
