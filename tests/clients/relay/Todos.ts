// The same operations as a Relay app writes them: relay-compiler requires each operation's
// name to start with its module's (Todos) and end with its type. tests/clients/manifests.mjs
// compiles this file; nothing imports it.
import { graphql } from 'react-relay';

export const signUp = graphql`
  mutation TodosSignUpMutation($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        username
      }
    }
  }
`;

export const createTodo = graphql`
  mutation TodosCreateTodoMutation($input: CreateTodoInput!) {
    createTodo(input: $input) {
      title
      completed
      tags {
        name
      }
    }
  }
`;

export const myTodos = graphql`
  query TodosMyTodosQuery($first: Int!) {
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
`;
